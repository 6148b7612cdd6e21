# The verify API's limits (README "Verify API", "Transactions"): OTPAllowedRetry per
# clientTxnId (for that user at that location; ended by its first accepted code), OTPLockout
# per user with Retry-After and retryAfter, unknown users locked like real ones, no lockout of
# the caller's address (OTPAddressLockout does not apply), and one
# lockout for every way in: a user locked at the login page is locked at the API, and the
# other way round.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(api_call totp wrong_totp events_since wait_for_fresh_step new_client start_json
               url_of basic_get remember_code);

plan tests => 36;

wait_for_fresh_step(30, 3);
my (undef, $offset) = events_since(0);
my $events;
sub mine { my ($events, $user) = @_; return grep { ($_->{IDENTIFIER} // '') eq $user } @$events }
sub answer { my ($res, $body, @keys) = @_; return [$res->code, map { $body->{$_} } @keys] }

# ---- OTPAllowedRetry 2 per clientTxnId (/api/totp) ---------------------------------------
my ($res, $body) = api_call('/api/totp', {userName => 'wilma', otp => wrong_totp('wilma'), clientTxnId => 'w-1'});
is_deeply answer($res, $body, qw(errorCode attemptsLeft clientTxnId)), [401, 2000, 1, 'w-1'],
    'first wrong code in transaction w-1: 401, attemptsLeft 1';
($res, $body) = api_call('/api/totp', {userName => 'wilma', otp => wrong_totp('wilma'), clientTxnId => 'w-1'});
is_deeply answer($res, $body, qw(errorCode attemptsLeft)), [401, 2000, 0], 'second: attemptsLeft 0';
($res, $body) = api_call('/api/totp', {userName => 'wilma', otp => totp('wilma'), clientTxnId => 'w-1'});
is_deeply answer($res, $body, qw(status errorCode error clientTxnId)), [429, 'ERROR', 2002, 'retries_exhausted', 'w-1'],
    'the right code in the aborted transaction: 429 retries_exhausted';
($events, $offset) = events_since($offset);
my @wilma = mine($events, 'wilma');
is_deeply [map { [$_->{event_id}, $_->{reason}, $_->{client_txn_id}] } grep { $_->{event_id} eq 'WEB_100023' } @wilma],
    [['WEB_100023', 'retries_exhausted', 'w-1']], 'one WEB_100023 (attempt aborted) for w-1';
my @refused = grep { $_->{event_id} eq 'WEB_100020' && $_->{reason} eq 'retries_exhausted' } @wilma;
is_deeply [map { exists $_->{pipe} ? 'compared' : 'not compared' } @refused], ['not compared'],
    '... and the refused right code: WEB_100020 retries_exhausted, nothing compared';

($res, $body) = api_call('/api/totp', {userName => 'wilma', otp => totp('wilma'), clientTxnId => 'w-2'});
is_deeply answer($res, $body, qw(status clientTxnId)), [200, 'SUCCESS', 'w-2'], 'a new transaction: the right code is accepted';
my $next = totp('wilma', 1);
($res, $body) = api_call('/api/totp', {userName => 'wilma', otp => $next, clientTxnId => 'w-2'});
is_deeply answer($res, $body, qw(errorCode error)), [429, 2002, 'retries_exhausted'],
    'w-2 ended with an accepted code: even a valid code is retries_exhausted';
($res, $body) = api_call('/api/totp', {userName => 'wilma', otp => $next});
is_deeply answer($res, $body, qw(status)), [200, 'SUCCESS'], '... that code was valid (accepted without a transaction)';

# The count is per user and location: another user's w-1, and the same id at another location.
($res, $body) = api_call('/api/totp', {userName => 'walt', otp => wrong_totp('walt'), clientTxnId => 'w-1'});
is_deeply answer($res, $body, qw(errorCode attemptsLeft)), [401, 2000, 1], "walt's w-1 is not wilma's: attemptsLeft 1";
($res, $body) = api_call('/api/totp', {userName => 'walt', otp => totp('walt'), clientTxnId => 'w-1'});
is $res->code, 200, '... and his right code is accepted in it';
for my $left (1, 0) {
    ($res, $body) = api_call('/api/totp', {userName => 'ghost-txn', otp => '123456', clientTxnId => 'shared'});
}
($res, $body) = api_call('/api/totp', {userName => 'ghost-txn', otp => '123456', clientTxnId => 'shared'});
is_deeply answer($res, $body, qw(error)), [429, 'retries_exhausted'], 'an unknown user: the third code in a transaction is 429 too';
($res, $body) = api_call('/api/cust', {userName => 'ghost-txn', otp => '123456', clientTxnId => 'shared'});
is_deeply answer($res, $body, qw(error attemptsLeft)), [401, 'invalid_otp', 1],
    'the same clientTxnId at another location is another transaction';

# ---- OTPLockout 3 600 900 (/api/lock) -------------------------------------------------------
my @statuses = map { (api_call('/api/lock', {userName => 'xena', otp => wrong_totp('xena')}))[0]->code } 1 .. 3;
is_deeply \@statuses, [401, 401, 401], 'xena: three wrong codes, 401 each';
($res, $body) = api_call('/api/lock', {userName => 'xena', otp => totp('xena')});
my $retry = $res->header('Retry-After') // -1;
is_deeply $body, {status => 'ERROR', errorCode => 2003, error => 'locked',
                  message => 'Too many attempts. The user is locked out for now.',
                  retryAfter => $retry, txnId => $res->header('X-Request-Id')},
    'the right code while locked: locked, retryAfter = Retry-After';
is $res->code, 429, '... 429';
ok $retry >= 890 && $retry <= 900, "... for the ban's 900 s ($retry)";
my $locked = $body;
($res, $body) = api_call('/api/lock', {userName => 'xena', otp => wrong_totp('xena')});
delete @$_{qw(txnId retryAfter)} for $locked, $body;
is_deeply [$res->code, $body], [429, $locked], 'a wrong code while locked: the same answer';
($res, $body) = api_call('/api/lock', {userName => 'xena', otp => totp('xena'), clientTxnId => 'x-1',
                                       additionalInput => {AR_WF_LOCALE_ID => 'sv'}});
is_deeply answer($res, $body, qw(error clientTxnId message)),
    [429, 'locked', 'x-1', 'För många försök. Användaren är spärrad tills vidare.'],
    'in a transaction, in Swedish: locked';
($events, $offset) = events_since($offset);
my @xena = mine($events, 'xena');
is_deeply [map { [$_->{event_id}, $_->{ban_seconds}] } grep { $_->{event_id} eq 'WEB_100024' } @xena],
    [['WEB_100024', 900]], 'one WEB_100024 (user locked out), ban_seconds 900';
is_deeply [map { exists $_->{pipe} ? 'compared' : 'not compared' } grep { ($_->{reason} // '') eq 'locked' } @xena],
    ['not compared', 'not compared', 'not compared'], 'the three codes sent while locked: reason locked, nothing compared';

# Unknown users are counted and locked like real ones, with the same answer.
@statuses = map { (api_call('/api/lock', {userName => 'ghost-lock', otp => '123456'}))[0]->code } 1 .. 3;
is_deeply \@statuses, [401, 401, 401], 'an unknown user: three wrong codes, 401 each';
($res, $body) = api_call('/api/lock', {userName => 'ghost-lock', otp => '654321'});
ok $res->header('Retry-After'), '... then 429 with Retry-After';
delete @$body{qw(txnId retryAfter)};
is_deeply [$res->code, $body], [429, $locked], '... and the answer a locked real user gets';

# ---- no lockout of the caller's address (OTPAddressLockout 3 300 900 at /api/addr) -----------
@statuses = map { (api_call('/api/addr', {userName => "ghost-addr$_", otp => '123456'}))[0]->code } 1 .. 5;
is_deeply \@statuses, [401, 401, 401, 401, 401], 'five wrong codes for five users from one address: 401 each';
($res, $body) = api_call('/api/addr', {userName => 'walt', otp => totp('walt', 1)});
is_deeply answer($res, $body, qw(status)), [200, 'SUCCESS'], '... the address is not locked: a right code is accepted';
@statuses = map { my ($r, $b) = api_call('/api/addrcodes/generate', {userName => "ghost-send$_"});
                  remember_code($b->{otp}) if $b && $b->{otp};
                  $r->code } 1 .. 5;
is_deeply \@statuses, [200, 200, 200, 200, 200], "... nor is generate limited by the address's send budget";

# ---- one lockout whatever the way in --------------------------------------------------------
# yves: locked at the login page (/longban: OTPLockout 3 600 900), then the API refuses him.
for my $i (1 .. 3) {
    my $ua = new_client();
    $ua->get(url_of('/longban/'));
    my ($r) = start_json($ua, '/longban/.otp/start', {user => 'yves', otp => wrong_totp('yves')});
    is $r->code, 401, "yves, wrong code $i at the login page: 401";
}
($res, $body) = api_call('/api/totp', {userName => 'yves', otp => totp('yves')});
is_deeply answer($res, $body, qw(errorCode error)), [429, 2003, 'locked'], 'locked at the page: locked at the API';
ok(($body->{retryAfter} // 0) > 800, "... for the page's ban (retryAfter $body->{retryAfter})");

# yara: locked at the API, then the login page, and Basic, refuse her.
@statuses = map { (api_call('/api/lock', {userName => 'yara', otp => wrong_totp('yara')}))[0]->code } 1 .. 3;
is_deeply \@statuses, [401, 401, 401], 'yara: three wrong codes at the API';
my $ua = new_client();
$ua->get(url_of('/app/'));
my ($page, $page_body) = start_json($ua, '/app/.otp/start', {user => 'yara', otp => totp('yara')});
is_deeply [$page->code, $page_body && $page_body->{error}], [429, 'locked'], 'locked at the API: the login page says locked';
is basic_get(url_of('/basic/strict'), 'yara', totp('yara'))->code, 401, '... and Basic refuses her right code';
($events, $offset) = events_since($offset);
my @yara = grep { $_->{event_id} eq 'WEB_100020' } mine($events, 'yara');
is_deeply [map { $_->{reason} } @yara[-2, -1]], ['locked', 'locked'], "... both refusals' events say locked";
is_deeply [map { $_->{location} } @yara[-2, -1]], ['/app', '/basic/strict'], '... at the page and at Basic';
