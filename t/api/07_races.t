# Parallel calls to the verify API never get more comparisons than the limits (counted from the
# server side: WEB_100020 events that carry a "pipe" field are compared codes, WEB_100019
# accepted ones): 20 wrong codes at once in one clientTxnId (OTPAllowedRetry 2), 50 at once for
# one user (OTPLockout 3), one valid TOTP code 10 times at once, a 3-use generated code 10
# times at once, and 10 generates at once for one user. (Fewer where more would only cost
# time: every child is a forked perl.)
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(api_call totp wrong_totp events_since parallel_results wait_for_fresh_step remember_code url_of);

plan tests => 14;

my (undef, $offset) = events_since(0);
# Resolve the server's URL once here: each forked child would otherwise load Apache::Test's
# configuration itself (seconds of CPU each).
url_of('/api/race');
my $events;
sub answer_of { my ($res, $body) = @_; return $res->code . ' ' . ($body && $body->{error} // $body->{status} // '?') }
sub count_of { my ($results, $wanted) = @_; return scalar grep { $_ eq $wanted } @$results }
sub events_of { my ($events, $user, $id, $compared) = @_;
    return grep { ($_->{IDENTIFIER} // '') eq $user && $_->{event_id} eq $id && (!$compared || exists $_->{pipe}) } @$events }

# ---- 20 wrong codes at once in one transaction (/api/race: OTPAllowedRetry 2, OTPLockout 3) ----
my $wrong = wrong_totp('wendy');
my @results = parallel_results(20, sub {
    return answer_of(api_call('/api/race', {userName => 'wendy', otp => $wrong, clientTxnId => 'race-1'}));
});
($events, $offset) = events_since($offset);
is scalar(events_of($events, 'wendy', 'WEB_100020', 1)), 2, '20 wrong codes at once in one clientTxnId: exactly 2 compared';
is count_of(\@results, '401 invalid_otp'), 2, '... 2 answered 401 invalid_otp';
is count_of(\@results, '429 retries_exhausted'), 18, '... 18 answered 429 retries_exhausted';

# ---- 50 wrong codes at once for one user, no transaction (OTPLockout 3 600 900) ---------------
$wrong = wrong_totp('willa');
@results = parallel_results(50, sub {
    return answer_of(api_call('/api/race', {userName => 'willa', otp => $wrong}));
});
($events, $offset) = events_since($offset);
is scalar(events_of($events, 'willa', 'WEB_100020', 1)), 3, '50 wrong codes at once for one user: exactly 3 compared';
is count_of(\@results, '401 invalid_otp'), 3, '... 3 answered 401 invalid_otp';
is count_of(\@results, '429 locked'), 47, '... 47 answered 429 locked';
is scalar(events_of($events, 'willa', 'WEB_100024')), 1, '... one WEB_100024';
($events) = (api_call('/api/race', {userName => 'willa', otp => totp('willa')}))[1];
is $events->{error}, 'locked', '... and willa stays locked for her right code';

# ---- one valid TOTP code 10 times at once: one accepted ------------------------------------
wait_for_fresh_step(30, 3);
my $code = totp('xavi');
@results = parallel_results(10, sub { return answer_of(api_call('/api/totp', {userName => 'xavi', otp => $code})) });
($events, $offset) = events_since($offset);
is count_of(\@results, '200 SUCCESS'), 1, 'one TOTP code 10 times at once: one 200';
is count_of(\@results, '401 invalid_otp'), 9, '... 9 invalid_otp (replays)';
is scalar(events_of($events, 'xavi', 'WEB_100019')), 1, '... one WEB_100019';

# ---- a 3-use generated code 10 times at once: three accepted (/api/codes3) -----------------
my (undef, $generated) = api_call('/api/codes3/generate', {userName => 'gia'});
my $gia = $generated && $generated->{otp} // 'none';
remember_code($gia);
@results = parallel_results(10, sub { return answer_of(api_call('/api/codes3', {userName => 'gia', otp => $gia})) });
($events, $offset) = events_since($offset);
is_deeply [count_of(\@results, '200 SUCCESS'), count_of(\@results, '401 expired')], [3, 7],
    'a 3-use code 10 times at once: 3 accepted, 7 expired';
is scalar(events_of($events, 'gia', 'WEB_100019')), 3, '... three WEB_100019';

# ---- 10 generates at once for one user: one code (/api/codes1) ------------------------------
@results = parallel_results(10, sub {
    my ($res, $body) = api_call('/api/codes1/generate', {userName => 'gil', clientTxnId => 'race-g'});
    remember_code($body->{otp}) if $body && $body->{otp};
    return answer_of($res, $body);
});
is_deeply [count_of(\@results, '200 SUCCESS'), count_of(\@results, '429 resend_too_soon')], [1, 9],
    '10 generates at once for one user: one code, 9 resend_too_soon'
    or diag join ', ', @results;
