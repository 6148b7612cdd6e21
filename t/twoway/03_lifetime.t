# OTPTwoWayLifetime (README): a flow and its codes are gone after it. In a location of its own
# with OTPTwoWayLifetime 2: init says expiresIn 2 (WEB_100033 lifetime 2); after 3 s a coupled
# flow's complete is 5000 expired (even with the right response), a client code that was not
# entered is refused at the portal (5000 invalid_code) and its flow's complete is 5000; a flow
# of the default location started at the same time is still good.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use TwoWayTest qw(summary);

plan tests => 17;

my $tw = TwoWayTest->new(users => [qw(mona nils olga)]);
$tw->start(ready => '/portal', conf => [$tw->twoway_location('/twoway'),
                                        $tw->twoway_location('/short', 'OTPTwoWayLifetime 2'),
                                        $tw->portal_location('/portal')]);

my ($res, $coupled) = $tw->init('/short');
is_deeply [$res->code, $coupled->{status}, $coupled->{expiresIn}], [200, 2000, 2], 'init at OTPTwoWayLifetime 2: 200 2000, expiresIn 2';
my (undef, $lonely) = $tw->init('/short');
my (undef, $long) = $tw->init;
is $long->{expiresIn}, 300, 'init at the default location: expiresIn 300';
my $t0 = time;
my ($r1, $p) = $tw->enter('mona', $coupled->{data} // '');
is_deeply [$r1->code, $p->{status}], [200, 2000], 'mona enters the short flow\'s code at once: 2000';
my $response = $p->{data} // '';
(undef, my $p_long) = $tw->enter('olga', $long->{data} // '');
ok time - $t0 < 2, 'within the lifetime so far';

sleep 3;
($res, my $b) = $tw->complete($coupled->{flow}, $response, '/short');
is_deeply summary($res, $b), [410, 5000, 'expired'], '3 s later: complete with the right response: 410 5000 expired';
ok !defined $b->{user}, '... no user';
($res, $b) = $tw->enter('nils', $lonely->{data} // '');
is_deeply summary($res, $b), [410, 5000, 'invalid_code'], 'the code that nobody entered, entered now: 410 5000 invalid_code';
($res, $b) = $tw->complete($lonely->{flow}, '123456', '/short');
is_deeply summary($res, $b), [410, 5000, 'expired'], "... its flow's complete: 410 5000 expired (not 4002)";
($res, $b) = $tw->complete($long->{flow}, $p_long->{data} // '');
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'olga'], 'the default-lifetime flow started alongside still completes: 2000 olga';
($res, $b) = $tw->complete($coupled->{flow}, $response, '/short');
is_deeply summary($res, $b), [410, 5000, 'expired'], 'the expired flow again: still 410 5000 expired';

my @events = $tw->events;
my @started = grep { $_->{event_id} eq 'WEB_100033' } @events;
is_deeply [map { $_->{lifetime} } @started], [2, 2, 300], 'WEB_100033 lifetime 2, 2, 300';
my ($ref_c, $ref_l) = map { $_->{IDENTIFIER} } @started;
my @expired = grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'expired' } @events;
is scalar(grep { ($_->{flow} // '') eq $ref_c } @expired), 2, 'the coupled flow: two WEB_100020 reason expired';
is scalar(grep { ($_->{flow} // '') eq $ref_l } @expired), 1, 'the flow nobody entered: one WEB_100020 reason expired';
ok !grep({ exists $_->{pipe} } @expired), '... none with pipe (nothing compared)';
my ($nils) = grep { ($_->{IDENTIFIER} // '') eq 'nils' } @events;
is_deeply [$nils ? @$nils{qw(event_id reason)} : ()], ['WEB_100020', 'invalid_otp'], "nils's late code: WEB_100020 invalid_otp";
unlike $tw->error_log, qr/exit signal|internal error|Segmentation/, 'no crash, no internal error';
ok $tw->stop, 'the server stops';
