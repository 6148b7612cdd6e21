# The verify API's generate (README "generate"): codes returned to the caller
# (OTPVerifyReturnsCode on) and codes sent by a real pre-pipe (t/bin/otp-test-sender), each then
# checked by verify; OTPDeliveredUses (a 4th use of a 3-use code is refused) and
# OTPDeliveredLifetime; the resend wait, a locked user, unknown users (the same answer, a code
# that never works, nothing sent); WEB_100022 with "delivery":"caller" and the call fields.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Spec;
use JSON::PP;
use Time::HiRes qw(sleep);
use OTPTest qw(api_call events_since remember_code slurp);

plan tests => 38;

my (undef, $offset) = events_since(0);
my $events;
my $sent = File::Spec->catfile($FindBin::Bin, '..', 'var', 'sent-codes.jsonl');
sub sent_to { my ($user) = @_; return grep { $_->{user} eq $user } map { decode_json($_) } grep { /\S/ } split /\n/, slurp($sent) }
sub mine { my ($events, $user, $id) = @_; return grep { ($_->{IDENTIFIER} // '') eq $user && $_->{event_id} eq $id } @$events }
sub other_than { my ($code) = @_; return $code eq '000000' ? '111111' : '000000' }
sub generate {
    my ($loc, $payload) = @_;
    my ($res, $body) = api_call("$loc/generate", $payload);
    remember_code($body->{otp}) if $body && defined $body->{otp};
    return ($res, $body);
}
sub verify { my ($loc, $user, $otp, %more) = @_; return api_call($loc, {userName => $user, otp => $otp, %more}) }

# ---- the code goes back to the caller (/api/codes1: 300 s, 1 use) ---------------------------
my ($res, $body) = generate('/api/codes1', {userName => 'gena', orgName => 'acme', clientTxnId => 'g-1',
                                            additionalInput => {AR_WF_CALLER_ID => 'c-7'}});
is $res->code, 200, 'generate: 200';
my $code = $body->{otp} // 'none';
my $txn = $res->header('X-Request-Id');
like $code, qr/^[0-9]{6}$/, '... a six-digit code (OTPDeliveredCode 6 numeric)';
is_deeply $body, {status => 'SUCCESS', clientTxnId => 'g-1', txnId => $txn, userName => 'gena', orgName => 'acme',
                  delivery => 'caller', otp => $code, expiresIn => 300, uses => 1, resendAfter => 30},
    '... delivery caller, expiresIn 300, uses 1, resendAfter 30';
($events, $offset) = events_since($offset);
my @sent_events = mine($events, 'gena', 'WEB_100022');
my %event = %{ $sent_events[0] // {} };
delete $event{time};
is_deeply [scalar(@sent_events), \%event],
    [1, {event_id => 'WEB_100022', event => 'OTP code sent', IDENTIFIER => 'gena', CUSTOMER_IDENTIFIER => 'acme',
         SOURCE_ADDRESS => '127.0.0.1', delivery => 'caller', lifetime => 300, caller_id => 'c-7',
         client_txn_id => 'g-1', txn_id => $txn, request_id => $txn, location => '/api/codes1'}],
    'one WEB_100022: delivery caller, CUSTOMER_IDENTIFIER = orgName, caller_id, client_txn_id, txn_id';

($res, $body) = generate('/api/codes1', {userName => 'gena', clientTxnId => 'g-1'});
my $retry = $res->header('Retry-After') // -1;
is_deeply [$res->code, @$body{qw(errorCode error retryAfter)}], [429, 2005, 'resend_too_soon', $retry],
    'another code at once: 429 resend_too_soon, retryAfter = Retry-After';
ok $retry >= 1 && $retry <= 30, "... within the 30 s wait ($retry)";
ok !exists $body->{otp}, '... and no code';

($res, $body) = verify('/api/codes1', 'gena', other_than($code), clientTxnId => 'g-1');
is_deeply [$res->code, $body->{error}], [401, 'invalid_otp'], 'verify a wrong code: invalid_otp';
($res, $body) = verify('/api/codes1/verify', 'gena', $code, clientTxnId => 'g-1');
is_deeply [$res->code, $body->{status}, $body->{userName}], [200, 'SUCCESS', 'gena'], 'verify the generated code: 200';
($res, $body) = verify('/api/codes1', 'gena', $code, clientTxnId => 'g-9');
is_deeply [$res->code, $body->{errorCode}, $body->{error}], [401, 2001, 'expired'], 'its second use: 401 expired (OTPDeliveredUses 1)';
($events, $offset) = events_since($offset);
is_deeply [map { [$_->{event_id}, $_->{reason} // '', $_->{pipe} // ''] }
           grep { ($_->{IDENTIFIER} // '') eq 'gena' && $_->{event_id} =~ /^WEB_1000(?:19|20)$/ } @$events],
    [['WEB_100020', 'invalid_otp', 'delivered'], ['WEB_100019', '', 'delivered'], ['WEB_100020', 'expired', 'delivered']],
    'events: accepted, invalid_otp and expired, by the delivered pipe';

# ---- OTPDeliveredUses 3 (/api/codes3) --------------------------------------------------------
($res, $body) = generate('/api/codes3', {userName => 'gina'});
$code = $body->{otp} // 'none';
is_deeply [$res->code, $body->{uses}, $body->{expiresIn}], [200, 3, 300], 'a 3-use code';
my @uses = map { (verify('/api/codes3', 'gina', $code))[0]->code } 1 .. 4;
is_deeply \@uses, [200, 200, 200, 401], 'three uses accepted, the fourth refused';
($res, $body) = verify('/api/codes3', 'gina', $code);
is_deeply [$res->code, $body->{error}], [401, 'expired'], '... as expired';

# ---- OTPDeliveredLifetime 2 (/api/codeshort) ----------------------------------------------------
($res, $body) = generate('/api/codeshort', {userName => 'gabe'});
$code = $body->{otp} // 'none';
is_deeply [$res->code, $body->{expiresIn}], [200, 2], 'a code for 2 s';
sleep 3;
($res, $body) = verify('/api/codeshort', 'gabe', $code);
is_deeply [$res->code, $body->{errorCode}, $body->{error}], [401, 2001, 'expired'], 'verified after 3 s: expired';

# ---- sent by the pre-pipe (/api/sms, OTPPrePipe test_sender) ---------------------------------------
my $before = () = sent_to('gwen');
($res, $body) = generate('/api/sms', {userName => 'gwen', orgName => 'acme', clientTxnId => 's-1',
                                      additionalInput => {AR_WF_LOCALE_ID => 'sv'}});
my $sms_txn = $res->header('X-Request-Id');
is_deeply $body, {status => 'SUCCESS', clientTxnId => 's-1', txnId => $sms_txn, userName => 'gwen', orgName => 'acme',
                  delivery => 'pre_pipe', expiresIn => 300, uses => 1, resendAfter => 30},
    'generate with a pre-pipe: 200, delivery pre_pipe, no otp';
my @requests;
for (1 .. 50) { @requests = sent_to('gwen'); last if @requests > $before; sleep 0.1 }
my $request = @requests > $before ? $requests[-1] : {};
remember_code($request->{otp}) if $request->{otp};
like $request->{otp} // '', qr/^[0-9]{6}$/, 'the pre-pipe got a six-digit code';
is_deeply [@$request{qw(action user lifetime location request_id)}], ['send', 'gwen', 300, '/api/sms', $sms_txn],
    '... to send to gwen, with lifetime, location and the request id';
($res, $body) = verify('/api/sms', 'gwen', $request->{otp} // 'none', clientTxnId => 's-1');
is_deeply [$res->code, $body->{status}], [200, 'SUCCESS'], 'verify the sent code: 200';
my @gwen;
for (1 .. 50) { (my $more, $offset) = events_since($offset); push @gwen, mine($more, 'gwen', 'WEB_100022'); last if @gwen; sleep 0.1 }
is_deeply [map { [@$_{qw(pipe lifetime CUSTOMER_IDENTIFIER client_txn_id txn_id location)}] } @gwen],
    [['test_sender', 300, 'acme', 's-1', $sms_txn, '/api/sms']],
    'WEB_100022 when the pre-pipe has sent it: the pipe, lifetime and call fields';
ok !grep({ ($_->{delivery} // '') eq 'caller' } @gwen), '... not "delivery":"caller"';

# ---- unknown users: the same answer, a code that never works, nothing sent -------------------------
($res, $body) = generate('/api/codes1', {userName => 'ghost-gen', orgName => 'acme', clientTxnId => 'g-1'});
my $ghost_code = $body->{otp} // 'none';
is $res->code, 200, 'generate for an unknown user: 200';
is_deeply [sort keys %$body], [qw(clientTxnId delivery expiresIn orgName otp resendAfter status txnId userName uses)],
    '... the members a known user gets';
is_deeply [@$body{qw(delivery expiresIn uses resendAfter)}], ['caller', 300, 1, 30], '... with the same values';
like $ghost_code, qr/^[0-9]{6}$/, '... and a code';
($res, $body) = verify('/api/codes1', 'ghost-gen', $ghost_code);
is_deeply [$res->code, $body->{error}], [401, 'invalid_otp'], '... that is never accepted (invalid_otp)';
($res, $body) = generate('/api/codes1', {userName => 'ghost-gen'});
is_deeply [$res->code, $body->{error}], [429, 'resend_too_soon'], '... and the same resend wait';
($res, $body) = generate('/api/sms', {userName => 'ghost-sms'});
is_deeply [$res->code, $body->{delivery}], [200, 'pre_pipe'], 'an unknown user at the pre-pipe location: 200';
sleep 1;
is scalar(sent_to('ghost-sms')), 0, '... and nothing was sent';
($events, $offset) = events_since($offset);
is scalar(grep { ($_->{IDENTIFIER} // '') =~ /^ghost-(?:gen|sms)$/ && $_->{event_id} eq 'WEB_100022' } @$events), 0,
    '... no WEB_100022 for unknown users';

# ---- a locked user gets no code (/api/codes1: OTPLockout 3) ------------------------------------------
my @wrong = map { (verify('/api/codes1', 'gert', '000000'))[0]->code } 1 .. 3;
is_deeply \@wrong, [401, 401, 401], 'gert: three wrong codes';
($res, $body) = generate('/api/codes1', {userName => 'gert', clientTxnId => 'l-1'});
is_deeply [$res->code, @$body{qw(errorCode error clientTxnId)}], [429, 2003, 'locked', 'l-1'], 'generate for a locked user: 429 locked';
ok(($body->{retryAfter} // 0) > 800 && ($res->header('Retry-After') // 0) == $body->{retryAfter},
   '... retryAfter = Retry-After, the ban (' . ($body->{retryAfter} // '?') . ' s)');
ok !exists $body->{otp}, '... no code';
# ... and at another delivered location of the same users file.
($res, $body) = generate('/api/codes3', {userName => 'gert'});
is_deeply [$res->code, $body->{error}], [429, 'locked'], 'a locked user is locked at every delivered location of the users file';

# ---- generate needs OTPValidationPipe delivered ----------------------------------------------------------
($res, $body) = api_call('/api/totp/generate', {userName => 'greta'});
is_deeply [$res->code, $body->{errorCode}, $body->{error}], [400, 1009, 'generate_not_available'],
    'generate at a totp location: 400 generate_not_available';
($events, $offset) = events_since($offset);
is scalar(grep { ($_->{IDENTIFIER} // '') eq 'greta' } @$events), 0, '... nothing happened (no event)';
