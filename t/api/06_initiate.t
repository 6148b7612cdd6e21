# Toopher's initiate (README "Toopher's initiate"): POST <loc>/authentication_requests/initiate,
# form-encoded, decided at once through the same verifier: granted, not granted (wrong,
# replayed, expired, locked with Retry-After), no otp (otp_required, nothing counted), the members as
# sent, events, and malformed forms answered {"error_code":…,"error_message":…} with a 4xx.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP;
use OTPTest qw(api_call api_form totp wrong_totp events_since remember_code);

plan tests => 37;

my (undef, $offset) = events_since(0);
my $events;
my $INITIATE = '/api/totp/authentication_requests/initiate';
sub initiate { my ($fields, %opt) = @_; return api_form($opt{path} // $INITIATE, $fields, %opt) }
sub decision { my ($body) = @_; return [map { ref $body->{$_} ? ($body->{$_} ? 'true' : 'false') : $body->{$_} } qw(granted reason_code reason)] }

# ---- granted ---------------------------------------------------------------------------
my $code = totp('vlad');
my ($res, $body) = initiate([user_name => 'vlad', otp => $code, terminal_name => 'desk-7', action_name => 'transfer',
                             pairing_id => 'p-1']);
is $res->code, 200, 'the right code: 200';
my $id = $res->header('X-Request-Id');
is_deeply $body, {id => $id, pending => JSON::PP::false(), granted => JSON::PP::true(), automated => JSON::PP::false(),
                  reason => 'One-time password verified.', reason_code => 0, user => {name => 'vlad'},
                  action => {name => 'transfer'}, terminal => {name => 'desk-7'}, pairing_id => 'p-1'},
    '... granted, never pending, id = txnId, the names as sent';
ok JSON::PP::is_bool($body->{pending}) && JSON::PP::is_bool($body->{granted}) && JSON::PP::is_bool($body->{automated}),
    '... pending, granted and automated are JSON booleans';
($events, $offset) = events_since($offset);
my @vlad = grep { ($_->{IDENTIFIER} // '') eq 'vlad' } @$events;
is_deeply [map { [@$_{qw(event_id pipe txn_id request_id location)}, exists $_->{client_txn_id} ? 1 : 0] } @vlad],
    [['WEB_100019', 'totp', $id, $id, '/api/totp', 0]], 'one WEB_100019, txn_id = id, no client_txn_id';

# ---- not granted ----------------------------------------------------------------------
($res, $body) = initiate([user_name => 'vlad', otp => $code]);
is_deeply [$res->code, @{ decision($body) }], [200, 'false', 2000, 'Wrong one-time password.'],
    'the same code again (a replay): 200, granted false, reason_code 2000';
is_deeply [$body->{action}, exists $body->{terminal} ? 1 : 0, exists $body->{pairing_id} ? 1 : 0],
    [{name => 'log in'}, 0, 0], '... action "log in" by default, no terminal, no pairing_id';
($res, $body) = initiate([user_name => 'vlad', otp => wrong_totp('vlad'), terminal_name => 'desk-8']);
is_deeply [$res->code, @{ decision($body) }, $body->{terminal}{name}], [200, 'false', 2000, 'Wrong one-time password.', 'desk-8'],
    'a wrong code: granted false, reason_code 2000';
($res, $body) = initiate([user_name => 'ghost-toopher', otp => '123456']);
is_deeply [$res->code, @{ decision($body) }], [200, 'false', 2000, 'Wrong one-time password.'], 'an unknown user: the same';
($events, $offset) = events_since($offset);
is_deeply [map { $_->{reason} } grep { $_->{event_id} eq 'WEB_100020' && ($_->{IDENTIFIER} // '') =~ /^(?:vlad|ghost-toopher)$/ } @$events],
    ['replay', 'invalid_otp', 'unknown_user'], 'WEB_100020 for each: replay, invalid_otp, unknown_user';

# A generated code (/api/codes1, 1 use): granted once, then expired.
my (undef, $generated) = api_call('/api/codes1/generate', {userName => 'greta'});
my $greta = $generated && $generated->{otp} // 'none';
remember_code($greta);
my $CODES = '/api/codes1/authentication_requests/initiate';
($res, $body) = initiate([user_name => 'greta', otp => $greta], path => $CODES);
is_deeply [$res->code, @{ decision($body) }[0, 1]], [200, 'true', 0], 'a generated code: granted';
($res, $body) = initiate([user_name => 'greta', otp => $greta], path => $CODES);
is_deeply [$res->code, @{ decision($body) }], [200, 'false', 2001, 'The one-time password has expired.'],
    '... used again: granted false, reason_code 2001 (expired)';

# ---- no otp: otp_required, not counted (/api/lock: OTPLockout 3) ---------------------------
my $LOCK = '/api/lock/authentication_requests/initiate';
for my $fields ([user_name => 'viggo'], [user_name => 'viggo', otp => '']) {
    ($res, $body) = initiate($fields, path => $LOCK);
    is_deeply [$res->code, @{ decision($body) }], [200, 'false', 2007, 'A one-time password is required.'],
        'no otp (' . (@$fields > 2 ? 'empty' : 'absent') . '): 200, granted false, reason_code 2007';
}
initiate([user_name => 'viggo'], path => $LOCK) for 1 .. 4;
($events, $offset) = events_since($offset);
is scalar(grep { ($_->{IDENTIFIER} // '') eq 'viggo' } @$events), 0, '... no event: nothing compared or counted';
($res, $body) = initiate([user_name => 'viggo', otp => totp('viggo')], path => $LOCK);
is_deeply [$res->code, @{ decision($body) }], [200, 'true', 0, 'One-time password verified.'],
    'after six requests without otp the right code is granted (none counted toward OTPLockout 3)';

# ---- locked ------------------------------------------------------------------------------------
initiate([user_name => 'viggo', otp => wrong_totp('viggo')], path => $LOCK) for 1 .. 3;
($res, $body) = initiate([user_name => 'viggo', otp => totp('viggo', 1)], path => $LOCK);
is_deeply [$res->code, @{ decision($body) }], [200, 'false', 2003, 'Too many attempts. The user is locked out for now.'],
    'locked: granted false, reason_code 2003';
my $retry = $res->header('Retry-After') // 0;
ok $retry > 800 && $retry <= 900, "... with Retry-After ($retry)";

# ---- malformed forms: 4xx {"error_code","error_message"} ----------------------------------------
sub toopher_error {
    my ($res, $body, $status, $code, $label, $mentions) = @_;
    is_deeply [$res->code, $body && $body->{error_code}, $body && exists $body->{granted} ? 'decision' : 'no decision'],
        [$status, $code, 'no decision'], $label;
    if ($mentions) {
        like $body && $body->{error_message} // '', qr/\Q$mentions\E/, "... the message names $mentions";
    }
}
toopher_error(initiate([otp => '123456']), 400, 1001, 'user_name absent: 400 error_code 1001', 'user_name');
toopher_error(initiate([user_name => '', otp => '123456']), 400, 1001, 'user_name empty: 400 error_code 1001');
toopher_error(initiate([user_name => 'vlad', otp => '1', otp => '2']), 400, 1002, 'otp twice: 400 error_code 1002', 'otp');
toopher_error(initiate([user_name => 'vlad', user_name => 'other', otp => '123456']), 400, 1002, 'user_name twice: 1002');
toopher_error(initiate([user_name => 'vlad', otp => '12-34']), 400, 1002, 'otp with a dash: 1002', 'otp');
toopher_error(initiate([user_name => 'vlad', otp => '1' x 65]), 400, 1002, 'otp of 65 characters: 1002');
toopher_error(initiate("user_name=bell%07&otp=123456"), 400, 1002, 'user_name with a control character: 1002', 'user_name');
toopher_error(initiate("user_name=%ff%fe&otp=123456"), 400, 1002, 'user_name not UTF-8: 1002');
toopher_error(initiate([user_name => 'vlad', otp => '123456', terminal_name => 't' x 257]), 400, 1002,
              'terminal_name of 257 bytes: 1002', 'terminal_name');
toopher_error(initiate([user_name => 'vlad', otp => '123456', pairing_id => 'p' x 129]), 400, 1002, 'pairing_id of 129 bytes: 1002');
toopher_error(initiate("user_name=vlad&otp=%zz"), 400, 1000, 'a broken escape: 400 error_code 1000');
toopher_error(initiate("user_name=vlad&otp=12%3"), 400, 1000, 'a truncated escape: 1000');
# Not a form at all: the README promises the Toopher shape for initiate's errors.
toopher_error(api_call($INITIATE, {user_name => 'vlad', otp => '123456'}), 415, 1005,
              'a JSON body: 415 error_code 1005');
toopher_error(initiate('user_name=vlad&otp=123456&terminal_name=' . ('t' x 9000)), 413, 1004,
              'a form over 8 KiB: 413 error_code 1004');

# Unknown form fields are ignored, as Toopher's other parameters are.
($res, $body) = initiate([user_name => 'ghost-toopher2', otp => '123456', requester_metadata => 'x', extra => '']);
is_deeply [$res->code, @{ decision($body) }[0, 1]], [200, 'false', 2000], 'unknown fields are ignored';
