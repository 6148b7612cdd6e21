# Replays in the login flow, and every way a session cookie stops being a session: tampered,
# idle, expired, another location's, logged out.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp new_client start_json url_of events_since wait_for_fresh_step);

plan tests => 16;

my (undef, $offset) = events_since(0);
wait_for_fresh_step();

# ---- replay -------------------------------------------------------------------------------
my $newer = totp('rex', 1);
my ($res) = start_json(new_client(), '/app/.otp/start', {user => 'rex', otp => $newer});
is $res->code, 200, 'code of the next step accepted';
($res) = start_json(new_client(), '/app/.otp/start', {user => 'rex', otp => totp('rex', 0)});
is $res->code, 401, 'an older step after a newer one: refused';
($res) = start_json(new_client(), '/app/.otp/start', {user => 'rex', otp => $newer});
is $res->code, 401, 'the same code in another attempt: refused';
my ($events) = events_since($offset);
is_deeply [map { $_->{reason} } grep { ($_->{IDENTIFIER} // q()) eq 'rex' && ($_->{event_id} // q()) eq 'WEB_100020' } @$events],
    ['replay', 'replay'], 'both logged as replay';

# ---- session cookies ----------------------------------------------------------------------
sub login_at {
    my ($path, $user, $offset_steps) = @_;
    my $ua = new_client();
    my ($r) = start_json($ua, "$path/.otp/start", {user => $user, otp => totp($user, $offset_steps)});
    die "login failed: " . $r->status_line unless $r->code == 200;
    my ($cookie) = $ua->cookie_jar->as_string =~ /\botp_session=([^;]+)/;
    return ($ua, $cookie);
}

my ($ua, $cookie) = login_at('/app', 'sam', 0);
is $ua->get(url_of('/app/'))->code, 200, 'a session';

my $tampered = $cookie;
substr($tampered, 20, 1) = substr($tampered, 20, 1) eq 'A' ? 'B' : 'A';
my $plain = new_client();
is $plain->get(url_of('/app/'), Cookie => "otp_session=$tampered")->code, 401, 'tampered cookie: the page';
is $plain->get(url_of('/app/'), Cookie => "otp_session=$cookie")->code, 200, 'the genuine cookie works';
is $plain->get(url_of('/other/'), Cookie => "otp_session=$cookie")->code, 401,
    "another location's cookie: the page";

$ua->get(url_of('/app/.otp/logout'));
is $plain->get(url_of('/app/'), Cookie => "otp_session=$cookie")->code, 401,
    'after logout the old cookie is no session (revoked server-side)';

# /short: OTPSessionIdleTimeout 3, OTPSessionLifetime 6
my ($short) = login_at('/short', 'sam', 1);
is $short->get(url_of('/short/'))->code, 200, 'short session works';
sleep 4;
is $short->get(url_of('/short/'))->code, 401, 'idle for longer than the idle timeout: the page';

my ($long) = login_at('/short', 'tim', 0);
my @codes;
for (1 .. 8) {
    push @codes, $long->get(url_of('/short/'))->code;
    sleep 1;
}
is $codes[0], 200, 'active session works';
is $codes[3], 200, 'still works while active (the idle time is refreshed)';
is $codes[-1], 401, 'past the absolute lifetime (6 s): the page';
my ($ev) = events_since($offset);
ok scalar(grep { ($_->{event_id} // q()) eq 'WEB_100027' && ($_->{reason} // q()) eq 'expired' } @$ev),
    'WEB_100027 session ended (expired)';
ok scalar(grep { ($_->{event_id} // q()) eq 'WEB_100027' && ($_->{reason} // q()) eq 'idle' } @$ev),
    'WEB_100027 session ended (idle)';
