# The verify API's verify call (README "Verify API", SetHandler otp-verify): the answers of an
# accepted and a refused code with every element, at <loc> and <loc>/verify; the messages'
# language (AR_WF_LOCALE_ID in both additionalInput forms, unknown locales give English);
# unknown users answered exactly as a wrong code; a replayed TOTP code refused; the events'
# fields (CUSTOMER_IDENTIFIER from orgName, or from OTPCustomerIdentifier when it is set;
# caller_id, client_txn_id, txn_id = txnId); an exec validator; the API in a <Directory> and
# in a virtual host; and no code in any event or error-log line.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(api_call totp wrong_totp events_since server_log_since wait_for_fresh_step
               remember_code);

plan tests => 50;

my $EN = 'Wrong one-time password.';
my $SV = 'Felaktigt engångslösenord.';

# Codes far from a step's end: the replay test uses the next step's code too.
wait_for_fresh_step(30, 3);
my (undef, $offset) = events_since(0);
my (undef, $log_offset) = server_log_since(0);
my @codes;    # every code this test sends, none of which may reach a log

sub code_of { my ($user, $step) = @_; my $c = totp($user, $step // 0); push @codes, $c; return $c }
sub wrong_for { my ($user) = @_; my $c = wrong_totp($user); push @codes, $c; return $c }
# The one event of `id` for `user` among `events`; fails the test (undef) if not exactly one.
sub one_event {
    my ($events, $id, $user) = @_;
    my @found = grep { $_->{event_id} eq $id && ($_->{IDENTIFIER} // '') eq $user } @$events;
    return @found == 1 ? $found[0] : undef;
}
sub without_time { my ($e) = @_; return undef unless $e; my %copy = %$e; delete $copy{time}; return \%copy }

# ---- an accepted code, every element ----------------------------------------------------
my ($res, $body) = api_call('/api/totp', {
    userName => 'vera', otp => code_of('vera'), orgName => 'acme', clientTxnId => 't-1',
    additionalInput => {AR_WF_LOCALE_ID => 'sv', AR_WF_CALLER_ID => 'c-9', OTHER_NAME => 'ignored'},
    unknownMember => {deep => [1, 2]}});
is $res->code, 200, 'accepted code at <loc>: 200';
like $res->header('Content-Type') // '', qr{^application/json}, '... as JSON';
my $txn = $res->header('X-Request-Id');
ok $txn && $txn =~ /^[A-Za-z0-9\@_-]{20,}$/, "the request's UNIQUE_ID ($txn)";
is_deeply $body, {status => 'SUCCESS', clientTxnId => 't-1', txnId => $txn, userName => 'vera',
                  orgName => 'acme'}, '... SUCCESS, elements echoed, txnId = UNIQUE_ID';
my $events;
($events, $offset) = events_since($offset);
is_deeply without_time(one_event($events, 'WEB_100019', 'vera')),
    {event_id => 'WEB_100019', event => 'OTP validated', IDENTIFIER => 'vera',
     CUSTOMER_IDENTIFIER => 'acme', SOURCE_ADDRESS => '127.0.0.1', caller_id => 'c-9',
     client_txn_id => 't-1', txn_id => $txn, request_id => $txn, location => '/api/totp',
     pipe => 'totp'},
    'WEB_100019: CUSTOMER_IDENTIFIER = orgName, caller_id, client_txn_id, txn_id = txnId';

# ---- a refused code, at <loc>/verify, list form of additionalInput -------------------------
($res, $body) = api_call('/api/totp/verify', {
    userName => 'vera', otp => wrong_for('vera'), clientTxnId => 't-2',
    additionalInput => [{name => 'AR_WF_LOCALE_ID', value => 'sv'}, {name => 'AR_WF_CALLER_ID', value => 'c-10'},
                        {name => 'SOMETHING_ELSE', value => 42}]});
is $res->code, 401, 'wrong code at <loc>/verify: 401';
$txn = $res->header('X-Request-Id');
is_deeply $body, {status => 'ERROR', errorCode => 2000, error => 'invalid_otp', message => $SV,
                  attemptsLeft => 1, clientTxnId => 't-2', txnId => $txn},
    '... invalid_otp in Swedish (list form), attemptsLeft in the transaction';
($events, $offset) = events_since($offset);
is_deeply without_time(one_event($events, 'WEB_100020', 'vera')),
    {event_id => 'WEB_100020', event => 'OTP validation failed', IDENTIFIER => 'vera',
     SOURCE_ADDRESS => '127.0.0.1', reason => 'invalid_otp', attempts_left => 1,
     caller_id => 'c-10', client_txn_id => 't-2', txn_id => $txn, request_id => $txn,
     location => '/api/totp', pipe => 'totp'},
    'WEB_100020: no orgName, no CUSTOMER_IDENTIFIER; caller_id from the list form';

# Without clientTxnId, orgName or additionalInput: no attemptsLeft, no call fields.
($res, $body) = api_call('/api/totp', {userName => 'vera', otp => wrong_for('vera')});
$txn = $res->header('X-Request-Id');
is_deeply [$res->code, $body], [401, {status => 'ERROR', errorCode => 2000, error => 'invalid_otp',
                                      message => $EN, txnId => $txn}],
    'no transaction: 401 in English, no attemptsLeft, no clientTxnId';
($events, $offset) = events_since($offset);
is_deeply without_time(one_event($events, 'WEB_100020', 'vera')),
    {event_id => 'WEB_100020', event => 'OTP validation failed', IDENTIFIER => 'vera',
     SOURCE_ADDRESS => '127.0.0.1', reason => 'invalid_otp', txn_id => $txn, request_id => $txn,
     location => '/api/totp', pipe => 'totp'},
    '... and its event has only txn_id of the call fields';

# ---- the messages' language ---------------------------------------------------------------
my @locales = (
    [{AR_WF_LOCALE_ID => 'sv'}, $SV, 'object form, sv'],
    [[{name => 'AR_WF_LOCALE_ID', value => 'sv_SE'}], $SV, 'list form, sv_SE'],
    [{AR_WF_LOCALE_ID => 'sv-SE'}, $SV, 'sv-SE'],
    [{AR_WF_LOCALE_ID => 'SV'}, $SV, 'SV'],
    [{AR_WF_LOCALE_ID => 'en'}, $EN, 'en'],
    [{AR_WF_LOCALE_ID => 'en-GB'}, $EN, 'en-GB'],
    [{AR_WF_LOCALE_ID => 'de'}, $EN, 'de (no catalogue): English'],
    [[{name => 'AR_WF_LOCALE_ID', value => 'xx-YY'}], $EN, 'xx-YY: English'],
    [{AR_WF_LOCALE_ID => 'not a tag!'}, $EN, 'not a language tag: English'],
    [{AR_WF_LOCALE_ID => ''}, $EN, 'empty: English'],
    [[], $EN, 'empty list: English'],
    [{}, $EN, 'empty object: English'],
);
my $n = 0;
for my $case (@locales) {
    my ($input, $message, $label) = @$case;
    ++$n;
    ($res, $body) = api_call('/api/totp', {userName => "ghost-locale-$n", otp => '123456',
                                           additionalInput => $input});
    is_deeply [$res->code, $body->{errorCode}, $body->{message}], [401, 2000, $message], "locale $label";
}

# ---- unknown users get exactly the answer of a wrong code -----------------------------------
for my $txn_id (undef, 'u-1') {
    my %txn = defined $txn_id ? (clientTxnId => $txn_id) : ();
    my ($real, $real_body) = api_call('/api/totp', {userName => 'vera', otp => wrong_for('vera'), %txn,
                                                    additionalInput => {AR_WF_LOCALE_ID => 'sv'}});
    my ($ghost, $ghost_body) = api_call('/api/totp', {userName => 'ghost-unknown', otp => '246802', %txn,
                                                      additionalInput => {AR_WF_LOCALE_ID => 'sv'}});
    is $ghost->code, $real->code, 'unknown user: the status of a wrong code (' . ($txn_id // 'no transaction') . ')';
    delete $_->{txnId} for $real_body, $ghost_body;
    is_deeply $ghost_body, $real_body, '... and the same answer';
}
($events, $offset) = events_since($offset);
my @ghost = grep { ($_->{IDENTIFIER} // '') eq 'ghost-unknown' } @$events;
is_deeply [map { [$_->{event_id}, $_->{reason}, exists $_->{pipe} ? 1 : 0] } @ghost],
    [['WEB_100020', 'unknown_user', 0], ['WEB_100020', 'unknown_user', 0]],
    'unknown user: WEB_100020 unknown_user, no pipe (nothing compared)';

# ---- a replayed TOTP code is refused -------------------------------------------------------
my $code = code_of('wally', 0);
($res) = api_call('/api/totp', {userName => 'wally', otp => $code});
is $res->code, 200, 'wally: the code is accepted';
($res, $body) = api_call('/api/totp', {userName => 'wally', otp => $code});
is $res->code, 401, 'the same code again: 401';
my ($wrong_res, $wrong_body) = api_call('/api/totp', {userName => 'wally', otp => wrong_for('wally')});
delete $_->{txnId} for $body, $wrong_body;
is_deeply $body, $wrong_body, '... exactly the answer of a wrong code (invalid_otp)';
($res, $body) = api_call('/api/totp', {userName => 'wally', otp => code_of('wally', -1)});
is_deeply [$res->code, $body->{error}], [401, 'invalid_otp'], "the previous step's code after a newer one: invalid_otp";
($events, $offset) = events_since($offset);
is_deeply [map { $_->{reason} // 'accepted' } grep { ($_->{IDENTIFIER} // '') eq 'wally' } @$events],
    ['accepted', 'replay', 'invalid_otp', 'replay'], "wally's events: accepted, replay, invalid_otp, replay";
($res) = api_call('/api/totp', {userName => 'wally', otp => code_of('wally', 1)});
is $res->code, 200, "the next step's code is still accepted (the replays did not lock wally)";

# ---- OTPCustomerIdentifier set: it gives CUSTOMER_IDENTIFIER, orgName is only echoed ----------
($res, $body) = api_call('/api/cust', {userName => 'vince', otp => code_of('vince'), orgName => 'acme',
                                       clientTxnId => 'c-1'},
                         headers => {'X-Customer-Id' => 'bank-1'});
is $res->code, 200, 'vince at /api/cust: 200';
is $body->{orgName}, 'acme', '... orgName echoed';
$txn = $res->header('X-Request-Id');
($res) = api_call('/api/cust', {userName => 'vince', otp => wrong_for('vince'), orgName => 'acme'},
                  headers => {'X-Customer-Id' => 'bank-1'});
is $res->code, 401, '... a wrong code: 401';
($events, $offset) = events_since($offset);
my $ok_event = one_event($events, 'WEB_100019', 'vince');
my $bad_event = one_event($events, 'WEB_100020', 'vince');
is_deeply [map { $_ && $_->{CUSTOMER_IDENTIFIER} } $ok_event, $bad_event], ['bank-1', 'bank-1'],
    'with OTPCustomerIdentifier: CUSTOMER_IDENTIFIER is its value, not orgName';
is_deeply [@{$ok_event // {}}{qw(client_txn_id txn_id location)}], ['c-1', $txn, '/api/cust'],
    '... the other call fields are there';
# When the expression gives nothing (no header), orgName is used ("unless OTPCustomerIdentifier
# gives one").
($res) = api_call('/api/cust', {userName => 'vince', otp => wrong_for('vince'), orgName => 'acme'});
($events, $offset) = events_since($offset);
$bad_event = one_event($events, 'WEB_100020', 'vince');
is_deeply [$res->code, $bad_event && $bad_event->{CUSTOMER_IDENTIFIER}], [401, 'acme'],
    'OTPCustomerIdentifier empty (no X-Customer-Id): CUSTOMER_IDENTIFIER is orgName';

# ---- an exec validator decides (no OTPUsersFile needed) --------------------------------------
remember_code('246813');
push @codes, '246813';
($res, $body) = api_call('/api/exec', {userName => 'anyone', otp => '246813', clientTxnId => 'x-1'});
is_deeply [$res->code, $body->{status}], [200, 'SUCCESS'], 'exec validator accepts: 200 SUCCESS';
($res, $body) = api_call('/api/exec', {userName => 'anyone', otp => '135799'});
is_deeply [$res->code, $body->{error}], [401, 'invalid_otp'], 'exec validator refuses: 401 invalid_otp';
($events, $offset) = events_since($offset);
is_deeply [map { [$_->{event_id}, $_->{pipe}] } grep { ($_->{IDENTIFIER} // '') eq 'anyone' } @$events],
    [['WEB_100019', 'api_accept'], ['WEB_100020', 'api_accept']], "... events name the OTPPipe";

# ---- the API in a <Directory> ----------------------------------------------------------------
($res, $body) = api_call('/api-dir/verify', {userName => 'vidar', otp => code_of('vidar')});
is_deeply [$res->code, $body->{status}, $body->{userName}], [200, 'SUCCESS', 'vidar'], '<Directory>: verify 200';
# (The directory's own URL is /api-dir/: mod_dir redirects /api-dir there, as for any directory.)
($res, $body) = api_call('/api-dir/', {userName => 'vidar', otp => wrong_for('vidar')});
is_deeply [$res->code, $body->{error}], [401, 'invalid_otp'], "<Directory>: the directory's own URL is verify too";
($res, $body) = api_call('/api-dir/nope', {userName => 'vidar', otp => '123456'});
is_deeply [$res->code, $body->{errorCode}], [404, 1007], '<Directory>: an unknown call is not_found';
($events, $offset) = events_since($offset);
my $dir_event = one_event($events, 'WEB_100019', 'vidar');
like $dir_event ? $dir_event->{location} : '', qr{^/api-dir/?$}, "<Directory>: the event's location is the directory's URL path";

# ---- the API in a virtual host -----------------------------------------------------------------
Apache::TestRequest::module('otp_vhost_api');
my $vhost = 'http://' . Apache::TestRequest::hostport();
Apache::TestRequest::module('default');
my $wim = code_of('wim');
($res, $body) = api_call("$vhost/api/token1", {userName => 'wim', otp => $wim});
is_deeply [$res->code, $body->{status}], [200, 'SUCCESS'], 'virtual host: verify 200';
($res, $body) = api_call("$vhost/api/token1/verify", {userName => 'wim', otp => $wim});
is_deeply [$res->code, $body->{error}], [401, 'invalid_otp'], 'virtual host: the replayed code is refused';

# ---- no code in any event or error-log line ------------------------------------------------------
my $event_log = do {
    open my $fh, '<:raw', "$FindBin::Bin/../logs/otp-events.log" or die $!;
    local $/;
    <$fh>;
};
(my $event_values = $event_log) =~ s/"(?:time|request_id|txn_id)":"[^"]*"//g;
(my $messages = server_log_since($log_offset)) =~ s/^(?:\[[^\]]*\]\s*)+//mg;
my %seen;
my @leaked = grep { !$seen{$_}++ && ($event_values =~ /(?<![0-9])\Q$_\E(?![0-9])/ || $messages =~ /(?<![0-9])\Q$_\E(?![0-9])/) } @codes;
is_deeply \@leaked, [], scalar(keys %seen) . ' codes sent, none in the event log or the error log';
ok scalar(keys %seen) >= 8, '... (a real number of codes was checked)';
