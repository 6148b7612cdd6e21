# OTPAllowedRetry and OTPLockout: the n-th wrong code aborts the attempt and even the right
# code is refused in it; failures across attempts lock the user, for unknown names too, with
# the same answer whatever the code; the lock ends the user's sessions and lifts by itself.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp new_client start_json url_of wait_for_fresh_step);

plan tests => 24;

wait_for_fresh_step(30, 8);

# ---- retry limit (OTPAllowedRetry 2) ---------------------------------------------------
my $ua = new_client();
$ua->get(url_of('/app/'));
my ($res, $body) = start_json($ua, '/app/.otp/start', {user => 'ruth', otp => '000000'});
is $res->code, 401, 'first wrong code: 401';
is_deeply $body, {status => 'ERROR', error => 'invalid_otp', attempts_left => 1}, '... 1 left';
($res, $body) = start_json($ua, '/app/.otp/start', {user => 'ruth', otp => '000001'});
is_deeply $body, {status => 'ERROR', error => 'invalid_otp', attempts_left => 0},
    'second wrong code: 0 left';
($res, $body) = start_json($ua, '/app/.otp/start', {user => 'ruth', otp => totp('ruth', 0)});
is $res->code, 429, 'the right code in the aborted attempt: 429';
is_deeply $body, {status => 'ERROR', error => 'retries_exhausted'}, '... retries_exhausted';
$ua->get(url_of('/app/'));    # a new page load: a new attempt
($res, $body) = start_json($ua, '/app/.otp/start', {user => 'ruth', otp => totp('ruth', 0)});
is $res->code, 200, 'a new attempt: the right code works';

# ---- lockout (OTPLockout 3 60 4): 3 failures within 60 s lock for 4 s ------------------
my $leo = new_client();
$leo->get(url_of('/app/'));
($res) = start_json($leo, '/app/.otp/start', {user => 'leo', otp => totp('leo', 0)});
is $res->code, 200, 'leo has a session';
is $leo->get(url_of('/app/'))->code, 200, '... and uses it';

for my $name (qw(larry leo ghost-user)) {
    for my $i (1 .. 3) {
        my $attacker = new_client();
        $attacker->get(url_of('/app/'));
        start_json($attacker, '/app/.otp/start', {user => $name, otp => sprintf('%06d', $i)});
    }
}
my $fresh = new_client();
$fresh->get(url_of('/app/'));
($res, $body) = start_json($fresh, '/app/.otp/start', {user => 'larry', otp => totp('larry', 0)});
is $res->code, 429, 'locked user, right code: 429';
is_deeply $body, {status => 'ERROR', error => 'locked'}, '... locked';
my $retry_after = $res->header('Retry-After');
ok defined $retry_after && $retry_after >= 1 && $retry_after <= 4, "Retry-After $retry_after";
my ($res2, $body2) = start_json($fresh, '/app/.otp/start', {user => 'larry', otp => '999999'});
is $res2->code, 429, 'locked user, wrong code: the same 429';
is_deeply $body2, $body, '... the same answer';
my ($res3, $body3) = start_json(new_client(), '/app/.otp/start', {user => 'ghost-user', otp => '999999'});
is $res3->code, 429, 'an unknown name is locked like a real one';
is_deeply $body3, $body, '... with the same answer';
ok $res3->header('Retry-After'), '... and a Retry-After';

is $leo->get(url_of('/app/'))->code, 401, "the lockout ended leo's open session";

sleep 5;    # the ban (4 s) is over
wait_for_fresh_step(30, 3);
my $after = new_client();
$after->get(url_of('/app/'));
($res, $body) = start_json($after, '/app/.otp/start', {user => 'larry', otp => totp('larry', 0)});
is $res->code, 200, 'after the ban: the right code works again';
is $after->get(url_of('/app/'))->code, 200, '... and gives a session';

# ---- the attempt's counter also applies to JSON clients without cookies -----------------
my $script = new_client();
$script->cookie_jar(undef);
($res, $body) = start_json($script, '/app/.otp/start', {user => 'ruth', otp => '000002'});
is $res->code, 401, 'no attempt cookie: a new attempt is started';
like join(' ', $res->header('Set-Cookie')), qr/otp_session_attempt=/, '... and its cookie set';
is $body->{attempts_left}, 1, '... with its own retry count';

# ---- Require otp shares the rules ----------------------------------------------------------
my $admin = new_client();
($res, $body) = start_json($admin, '/admin/.otp/start', {otp => '000000'},
                           basic => ['ada', 'first-factor-pw']);
is $res->code, 401, 'Require otp: wrong code 401';
is $body->{attempts_left}, 1, '... with attempts left';
