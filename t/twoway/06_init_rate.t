# OTPTwoWayInitRate (README): inits per minute per client address. With OTPTwoWayInitRate 3 in
# a location, the 4th init from 127.0.0.1 within the minute is 429 with Retry-After and
# {"status":4029,"error":"rate_limited"}, starts no flow (no WEB_100033); another address
# (127.0.0.2) still gets its 3; the other steps of an earlier flow are not limited; and the
# default location (30) still answers.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use TwoWayTest;

plan tests => 20;

my $tw = TwoWayTest->new(users => ['quinn']);
$tw->start(ready => '/portal', conf => [$tw->twoway_location('/twoway'),
                                        $tw->twoway_location('/rate3', 'OTPTwoWayInitRate 3'),
                                        $tw->portal_location('/portal')]);

my @first = map { [$tw->init('/rate3')] } 1 .. 3;
is_deeply [map { [$_->[0]->code, $_->[1]{status}] } @first], [[200, 2000], [200, 2000], [200, 2000]],
    'OTPTwoWayInitRate 3: three inits from 127.0.0.1: 200 2000 each';
my ($res, $b) = $tw->init('/rate3');
is $res->code, 429, 'the 4th within the minute: 429';
is_deeply [@$b{qw(status error)}], [4029, 'rate_limited'], '... {"status":4029,"error":"rate_limited"}';
my $retry = $res->header('Retry-After') // '';
like $retry, qr/^[1-9][0-9]*$/, "... Retry-After: $retry";
ok $retry ne '' && $retry <= 60, '... at most the 60 s window';
is $b->{retryAfter}, $retry, '... retryAfter says the same';
ok !defined $b->{flow} && !defined $b->{data}, '... no flow, no client code';
($res, $b) = $tw->init('/rate3');
is_deeply [$res->code, $b->{status}], [429, 4029], 'the 5th: still 429 4029';

my @other = map { [$tw->call('/rate3/init', undef, from => '127.0.0.2')] } 1 .. 4;
is_deeply [map { $_->[0]->code } @other], [200, 200, 200, 429], 'from 127.0.0.2: 200, 200, 200, then 429 (per client address)';

# The flows started before the limit work on; complete and the portal are not rate limited.
my ($flow, $code) = @{ $first[0][1] }{qw(flow data)};
($res, $b) = $tw->enter('quinn', $code);
is_deeply [$res->code, $b->{status}], [200, 2000], 'the portal step of the first flow: 200 2000';
my $response = $b->{data} // '';
($res, $b) = $tw->complete($flow, '000000' eq $response ? '111111' : '000000', '/rate3');
is_deeply [$res->code, $b->{status}], [401, 4001], '... a wrong response: 401 4001 (not 429)';
($res, $b) = $tw->complete($flow, $response, '/rate3');
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'quinn'], '... complete: 200 2000 quinn';
($res, $b) = $tw->call('/rate3/token', {token => ref $b->{token} ? $b->{token}{value} : ''});
is_deeply [$res->code, $b->{status}], [200, 'VALID'], '... its token: VALID';
($res, $b) = $tw->call('/rate3/nope', {});
is $res->code, 404, 'an unknown call there is 404, not 429';

($res, $b) = $tw->init;
is_deeply [$res->code, $b->{status}], [200, 2000], 'the default location (OTPTwoWayInitRate 30) still answers 200 2000';

my @events = $tw->events;
my @started = grep { $_->{event_id} eq 'WEB_100033' } @events;
is scalar(grep { $_->{location} eq '/rate3' && $_->{SOURCE_ADDRESS} eq '127.0.0.1' } @started), 3, 'WEB_100033 for /rate3 from 127.0.0.1: 3 (none for the refused)';
is scalar(grep { $_->{location} eq '/rate3' && $_->{SOURCE_ADDRESS} eq '127.0.0.2' } @started), 3, '... from 127.0.0.2: 3';
my $log = $tw->error_log;
like $log, qr/two-way init refused: more than OTPTwoWayInitRate 3 a minute from 127\.0\.0\.1/, 'the error log says why the init was refused';
unlike $log, qr/exit signal|internal error|Segmentation/, 'no crash, no internal error';
ok $tw->stop, 'the server stops';
