# A portal user who types wrong client codes is locked out (README "Two-way OTP API": entering
# a client code is a guess of the portal user through the one verifier; OTPLockout, default
# 5 300 900): after 5 wrong codes the next entry, even of a live code, is 429 with Retry-After
# and {"status":4029,"error":"locked"}, for JSON and for the page's form; the live code is not
# used up by it (another portal user can enter it); a flow coupled to the user before the lock
# is refused at complete (429 4029 locked); WEB_100024 says so. Other portal users are not
# affected; a location with OTPLockout 2 60 60 locks after 2.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(new_client);
use TwoWayTest qw(summary);

plan tests => 30;

my $tw = TwoWayTest->new(users => [qw(xena yves zack abby)]);
$tw->start(ready => '/portal', conf => [$tw->twoway_location('/twoway'), $tw->portal_location('/portal'),
                                        $tw->portal_location('/portal-strict', 'OTPLockout 2 60 60')]);

# Two flows: one xena couples before her lockout, one she will try after it.
my (undef, $before) = $tw->init;
my (undef, $after) = $tw->init;
my %live = map { ($_ => 1) } $before->{data}, $after->{data};
my @wrong = grep { !$live{$_} } map { sprintf '%06d', $_ * 111111 % 1000000 } 0 .. 9;
my ($res, $b) = $tw->enter('xena', $before->{data});
is_deeply [$res->code, $b->{status}], [200, 2000], 'xena enters a client code: 2000';
my $before_response = $b->{data} // '';

# And one she completes at once: its token must end with her lockout.
my (undef, $done) = $tw->init;
my (undef, $done_entry) = $tw->enter('xena', $done->{data});
my (undef, $completed) = $tw->complete($done->{flow}, $done_entry->{data});
my $token = $completed->{token}{value} // '';
($res, $b) = $tw->call('/twoway/token', {token => $token});
is_deeply [$res->code, $b->{status}, $b->{userName}], [200, 'VALID', 'xena'], "xena's token is valid before her lockout";

my @answers = map { summary($tw->enter('xena', $wrong[$_])) } 0 .. 4;
is_deeply \@answers, [([410, 5000, 'invalid_code']) x 5], 'five wrong client codes: 410 5000 invalid_code each';
($res, $b) = $tw->enter('xena', $after->{data});
is_deeply summary($res, $b), [429, 4029, 'locked'], 'then a live client code: 429 4029 locked';
my $retry = $res->header('Retry-After') // '';
like $retry, qr/^[1-9][0-9]*$/, "... Retry-After: $retry";
ok $retry ne '' && $retry <= 900 && $retry > 800, '... about the ban of 900 s';
is $b->{retryAfter}, $retry, '... retryAfter says the same';
ok !defined $b->{data}, '... no response';
($res, $b) = $tw->enter('xena', $wrong[5]);
is_deeply summary($res, $b), [429, 4029, 'locked'], 'a wrong one now: 429 4029 locked too';

# The page's form, for the locked user.
my $ua = new_client();
$ua->default_header(Authorization => $tw->basic('xena'));
my $page = $ua->get($tw->base . '/portal');
is $page->code, 200, 'the locked user still gets the page (GET)';
my ($csrf) = $page->content =~ /name="csrf" value="([^"]+)"/;
ok $csrf, '... with its CSRF token';
$res = $ua->post($tw->base . '/portal', [data => $after->{data}, csrf => $csrf // '']);
is $res->code, 429, 'her form post of the live code: 429';
like $res->header('Content-Type') // '', qr{^text/html}, '... the page';
like $res->content, qr{class="status status-error">Too many attempts\. Try again later\.</div>}, '... saying "Too many attempts. Try again later."';
like $res->header('Retry-After') // '', qr/^[1-9][0-9]*$/, '... with Retry-After';
unlike $res->content, qr{id="twoway-response" class="status status-ok">[^<]}, '... and no response';

# The live code was not used up by her refused tries.
($res, $b) = $tw->enter('yves', $after->{data});
is_deeply [$res->code, $b->{status}], [200, 2000], 'yves enters the same live code: 200 2000 (her tries did not use it)';
($res, $b) = $tw->complete($after->{flow}, $b->{data} // '');
is_deeply [$res->code, $b->{user}], [200, 'yves'], '... it completes for yves';

# The flow coupled to her before the lock: the coupled user's lockout applies at complete.
($res, $b) = $tw->complete($before->{flow}, $before_response);
is_deeply summary($res, $b), [429, 4029, 'locked'], "complete of the flow xena coupled before her lock: 429 4029 locked";
like $res->header('Retry-After') // '', qr/^[1-9][0-9]*$/, '... with Retry-After';
ok !defined $b->{user}, '... no user';

# OTPLockout 2 60 60 at another portal location.
my (undef, $third) = $tw->init;
@answers = map { summary($tw->enter('zack', $wrong[$_], '/portal-strict')) } 6 .. 7;
is_deeply \@answers, [([410, 5000, 'invalid_code']) x 2], 'OTPLockout 2 60 60: two wrong client codes (zack): 410 each';
($res, $b) = $tw->enter('zack', $third->{data}, '/portal-strict');
is_deeply summary($res, $b), [429, 4029, 'locked'], '... then the live one: 429 4029 locked';
ok +($res->header('Retry-After') // 0) <= 60, '... Retry-After at most the 60 s ban';
($res, $b) = $tw->enter('abby', $third->{data}, '/portal-strict');
is_deeply [$res->code, $b->{status}], [200, 2000], 'another user (abby) is not locked: 200 2000';

my @events = $tw->events;
($res, $b) = $tw->call('/twoway/token', {token => $token});
is_deeply [$res->code, $b->{errorCode}], [401, 2004], '... and refused after it (invalid_token)';
my @locked = grep { $_->{event_id} eq 'WEB_100024' } @events;
is_deeply [map { [@$_{qw(IDENTIFIER ban_seconds location)}] } @locked], [['xena', 900, '/portal'], ['zack', 60, '/portal-strict']],
    'WEB_100024 "OTP user locked out" for xena (900 s) and zack (60 s)';
my @refused = grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'locked' && ($_->{IDENTIFIER} // '') eq 'xena' } @events;
ok @refused >= 3, 'WEB_100020 reason locked for her refused entries and the complete (' . scalar(@refused) . ')';
ok !grep({ exists $_->{pipe} } @refused), '... without pipe (nothing compared)';
ok $tw->stop, 'the server stops';
