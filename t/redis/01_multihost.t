# Several hosts, one Redis (README "Several hosts"): three httpd servers with the same
# configuration, each with its own copy of the users file, the same OTPSessionKeyFile and
# OTPStateStore redis://, behave as one server for every limit (SPEC §3, §7):
#  - 60 parallel wrong codes for one user over the three hosts, by Basic, the start endpoint
#    and the page's form, are compared at most OTPLockout times in all (and at most
#    OTPAllowedRetry times per attempt, also for an attempt whose requests go to different
#    hosts); the user ends locked on every host;
#  - one valid TOTP code sent 30 times in parallel over the three hosts logs in once; the
#    other 29 are refused, the user is not locked afterwards and the next code works at once;
#  - an accepted HOTP code is refused on the other hosts, also on a host whose users file
#    copy is older;
#  - a lockout made on host 1 holds on hosts 2 and 3; a session made on host 1 opens on host
#    2; a logout on host 1 ends it on host 2 within OTPSessionRecheck (1 s with Redis).
# Everything is counted from the three event logs and the HTTP answers.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Time::HiRes qw(time sleep);
use OTPTest qw(totp hotp parallel_results slurp %SECRET);
use RedisTest qw(start_redis redis_cli start_hosts stop_hosts host_events count_events
                 login_json basic_get_host new_client_get page_attempt form_post crash_lines
                 users_copy_replace);

plan tests => 62;

my $redis = start_redis();
my $users = join '', map { "HOTP/T30 $_ - $SECRET{$_}\n" } qw(bruno ruth rita larry sam);
$users .= "HOTP carol - $SECRET{carol}\n";
my @hosts = start_hosts(count => 3, store => "redis://127.0.0.1:$redis->{port}", users => $users,
                        body => <<'END');
OTPStateStoreTimeout 2000
OTPAddressLockout off
OTPLockout 5 300 900
OTPAllowedRetry 2
<Location /app>
    AuthType OTP
    AuthName "Application"
    Require valid-user
</Location>
<Location /basic>
    AuthType Basic
    AuthName "API"
    AuthBasicProvider otp
    OTPBasicLinger 0
    Require valid-user
</Location>
END
my ($h1, $h2, $h3) = @hosts;
ok @hosts == 3, 'three hosts share one Redis';

sub basic { my ($host, $user, $pw) = @_; return basic_get_host($host, $user, $pw, '/basic/index.html') }
sub user_events { my ($user, %f) = @_; return count_events(\@hosts, IDENTIFIER => $user, %f) }

# ---- 60 parallel wrong codes for one user ------------------------------------------------------
my %valid = map { (totp('bruno', $_) => 1) } -2 .. 2;
my @wrong = grep { !$valid{$_} } map { sprintf '%06d', 100000 + 7919 * $_ } 1 .. 80;
# Attempts made before the burst: two shared by ten requests each (one at the start endpoint,
# one by the page's form), and one of its own for each of ten form posts; every attempt's
# page is loaded from another host than most of its requests go to.
my $shared_json = page_attempt($h1);
my $shared_form = page_attempt($h2);
my @own_form = map { page_attempt($hosts[($_ + 1) % 3]) } 41 .. 50;
my @results = parallel_results(60, sub {
    my ($i) = @_;
    my $host = $hosts[$i % 3];
    my $code = $wrong[$i];
    if ($i <= 20) { return 'basic ' . basic($host, 'bruno', $code)->code }
    if ($i <= 40) {
        my ($res, $body) = login_json($host, 'bruno', $code,
                                      $i > 30 ? (cookie => $shared_json->{cookie}) : ());
        return ($i > 30 ? 'json-shared ' : 'json-own ') . $res->code . ' ' . ($body->{error} // '-');
    }
    my $attempt = $i <= 50 ? $own_form[$i - 41] : $shared_form;
    return ($i <= 50 ? 'form-own ' : 'form-shared ') . form_post($host, $attempt, 'bruno', $code)->code;
});
my %answers;
$answers{$_}++ for @results;
my $summary = join ', ', map { "$_ x$answers{$_}" } sort keys %answers;
is scalar(grep { / 200\b/ } @results), 0, "no wrong code let in ($summary)";
is user_events('bruno', event_id => 'WEB_100020', reason => 'invalid_otp'), 5,
    'the three event logs show exactly 5 comparisons in all (OTPLockout 5)';
is_deeply [count_events(\@hosts, IDENTIFIER => 'bruno', event_id => 'WEB_100020')], [20, 20, 20],
    'each host logged one refusal for each of its 20 requests';
is user_events('bruno', event_id => 'WEB_100024'), 1, 'one lockout event over the three hosts';
is user_events('bruno', reason => qr/^store_/), 0, 'no store error';
my $compared_answers = grep { /^(json-\w+ 401 invalid_otp|form-\w+ 401)$/ } @results;
is $compared_answers, user_events('bruno', event_id => 'WEB_100020', reason => 'invalid_otp', location => '/app'),
    'start endpoint and form: as many 401 answers as comparisons logged there';
is scalar(grep { /^(json|form)/ && !/^(json-\w+ 401 invalid_otp|json-\w+ 429 (locked|retries_exhausted)|form-\w+ (401|429))$/ } @results), 0,
    '... and 429 for every other request';
ok scalar(grep { /^json-shared 401/ } @results) <= 2,
    'the attempt shared by ten start requests over three hosts: at most 2 compared (OTPAllowedRetry 2)';
ok scalar(grep { /^form-shared 401/ } @results) <= 2,
    'the attempt shared by ten form posts over three hosts: at most 2 compared';
is scalar(grep { /^json-shared 429 (retries_exhausted|locked)$/ } @results)
   + scalar(grep { /^json-shared 401 invalid_otp$/ } @results), 10, '... the others refused 429';
# Locked on every host: the right code is refused without being compared.
my $right = totp('bruno', 0);
for my $host (@hosts) {
    my ($res, $body) = login_json($host, 'bruno', $right);
    is "@{[ $res->code ]} @{[ $body->{error} // '-' ]}", '429 locked', "host $host->{index}: bruno is locked (start endpoint)";
    is basic($host, 'bruno', $right)->code, 401, "host $host->{index}: ... and for Basic";
    ok scalar(host_events($host, IDENTIFIER => 'bruno', location => '/basic', reason => 'locked',
                          event_id => 'WEB_100020')), "host $host->{index}: ... logged as locked";
}
is user_events('bruno', event_id => 'WEB_100019'), 0, 'bruno never logged in';

# ---- one attempt, 20 parallel wrong codes over the three hosts ----------------------------------
# Below the lockout (2 < 5), the attempt's retry limit alone decides: exactly 2 comparisons.
my $attempt = page_attempt($h1);
@results = parallel_results(20, sub {
    my ($i) = @_;
    my $host = $hosts[$i % 3];
    return 'form ' . form_post($host, $attempt, 'ruth', $wrong[$i])->code if $i % 2;
    my ($res, $body) = login_json($host, 'ruth', $wrong[$i], cookie => $attempt->{cookie});
    return 'json ' . $res->code . ' ' . ($body->{error} // '-');
});
%answers = ();
$answers{$_}++ for @results;
$summary = join ', ', map { "$_ x$answers{$_}" } sort keys %answers;
is user_events('ruth', event_id => 'WEB_100020', reason => 'invalid_otp'), 2,
    "one attempt, 20 parallel wrong codes over three hosts: exactly 2 compared (OTPAllowedRetry 2; $summary)";
is user_events('ruth', event_id => 'WEB_100020', reason => 'retries_exhausted'), 18, '... 18 refused as retries_exhausted';
is scalar(grep { /^(json 401 invalid_otp|form 401)$/ } @results), 2, '... 2 answered 401';
is scalar(grep { /^(json 429 retries_exhausted|form 429)$/ } @results), 18, '... 18 answered 429';
is user_events('ruth', event_id => 'WEB_100023'), 1, '... one WEB_100023 (attempt aborted)';
is user_events('ruth', event_id => 'WEB_100024'), 0, '... and no lockout';

# ---- one valid code, 30 times in parallel over the three hosts --------------------------------
my $code = totp('rita', 0);
@results = parallel_results(30, sub {
    my ($i) = @_;
    my $host = $hosts[$i % 3];
    if ($i % 2) {
        my ($res, $body) = login_json($host, 'rita', $code);
        return 'json ' . $res->code . ' ' . ($body->{error} // '-');
    }
    return 'basic ' . basic($host, 'rita', $code)->code;
});
%answers = ();
$answers{$_}++ for @results;
$summary = join ', ', map { "$_ x$answers{$_}" } sort keys %answers;
is scalar(grep { / 200\b/ } @results), 1, "one valid code 30 times over three hosts: exactly one login ($summary)";
is scalar(grep { /^(json 401 invalid_otp|json 429 locked|basic 401)$/ } @results), 29, '... 29 refused';
is user_events('rita', event_id => 'WEB_100019'), 1, '... one WEB_100019 in the three event logs';
is user_events('rita', event_id => 'WEB_100020'), 29, '... 29 WEB_100020';
is user_events('rita', event_id => 'WEB_100020', reason => sub { ($_[0] // '') !~ /^(replay|locked)$/ }), 0,
    '... each a replay, or refused uncompared as more guesses in flight than OTPLockout allows';
ok user_events('rita', event_id => 'WEB_100020', reason => 'replay') >= 4, '... at least 4 of them compared and refused as replays';
is user_events('rita', event_id => 'WEB_100024'), 0, '... and no lockout';
# The refused guesses were given back: the user's next code works at once, and a wrong code
# afterwards is an ordinary wrong code, not "locked".
my ($res, $body) = login_json($h2, 'rita', totp('rita', 1));
is $res->code, 200, "right after the burst rita's next code logs in (host 2)" or diag explain $body;
for my $host ($h1, $h3) {
    ($res, $body) = login_json($host, 'rita', $wrong[0]);
    is_deeply $body, {status => 'ERROR', error => 'invalid_otp', attempts_left => 1},
        "host $host->{index}: a wrong code for rita is just wrong (not locked)";
}

# ---- HOTP: an accepted code is used up on every host -------------------------------------------
my $older = slurp($h1->{users_copy});
($res) = login_json($h1, 'carol', hotp('carol', 2));
is $res->code, 200, 'host 1 accepts HOTP counter 2';
like slurp($h1->{users_copy}), qr/^HOTP\tcarol\t-\t\S+\t2\t/m, "... and writes it back to host 1's copy";
unlike slurp($h2->{users_copy}), qr/carol\t-\t\S+\t2/, "host 2's copy does not know (it is its own)";
($res) = login_json($h2, 'carol', hotp('carol', 2));
is $res->code, 401, 'host 2 refuses the same code';
($res) = login_json($h2, 'carol', hotp('carol', 1));
is $res->code, 401, '... and an earlier one';
is scalar(host_events($h2, IDENTIFIER => 'carol', event_id => 'WEB_100020', reason => 'replay')), 2,
    '... both as replays';
# Host 3 gets the copy of before the login written anew (a host that synchronised late).
users_copy_replace($h3, $older);
($res) = login_json($h3, 'carol', hotp('carol', 2));
is $res->code, 401, 'host 3, its users file copy older than the login, refuses the code too';
is scalar(host_events($h3, IDENTIFIER => 'carol', event_id => 'WEB_100020', reason => 'replay')), 1,
    '... as a replay';
($res) = login_json($h3, 'carol', hotp('carol', 3));
is $res->code, 200, 'host 3 accepts the next code (counter 3)';
($res) = login_json($h1, 'carol', hotp('carol', 3));
is $res->code, 401, 'host 1 (its copy says 2) refuses counter 3 now';
is user_events('carol', event_id => 'WEB_100019'), 2, 'carol: two logins in all';

# ---- a lockout on host 1 holds on hosts 2 and 3 ------------------------------------------------
for my $i (1 .. 5) { login_json($h1, 'larry', $wrong[$i]) }
is scalar(host_events($h1, IDENTIFIER => 'larry', event_id => 'WEB_100024')), 1, '5 wrong codes lock larry on host 1';
$right = totp('larry', 0);
for my $host ($h2, $h3) {
    ($res, $body) = login_json($host, 'larry', $right);
    is "@{[ $res->code ]} @{[ $body->{error} // '-' ]}", '429 locked', "host $host->{index}: larry is locked";
}
is basic($h3, 'larry', $right)->code, 401, 'host 3: also for Basic';
is user_events('larry', event_id => 'WEB_100020', reason => 'locked'), 3, '... three refusals logged as locked';

# ---- a session made on host 1 works on host 2; a logout on host 1 ends it there -----------------
($res) = login_json($h1, 'sam', totp('sam', 0));
my ($cookie) = join(', ', $res->header('Set-Cookie')) =~ /(otp_session=[^;]+)/;
ok $cookie, 'sam logs in on host 1';
sub with_cookie { my ($host) = @_; return new_client_get($host, '/app/index.html', $cookie) }
is with_cookie($h2)->content, "app on host 2\n", "host 1's session cookie opens host 2";
is with_cookie($h3)->code, 200, '... and host 3';
# Remembered as verified by the processes of every host (OTPSessionRecheck).
with_cookie($_) for ($h1, $h2, $h3) x 4;
my $logout = new_client_get($h1, '/app/.otp/logout', $cookie);
my $t0 = time;
ok $logout->code < 400, 'logout on host 1: ' . $logout->code;
is join(' ', map { with_cookie($h1)->code } 1 .. 6), '401 401 401 401 401 401',
    "host 1's processes refuse the session at once (the logout clears this host's caches)";
my @seen;    # [seconds after the logout, host, status]
while (time - $t0 < 2.5) {
    push @seen, map { [time - $t0, $_->{index}, with_cookie($_)->code] } $h2, $h3;
    sleep 0.05;
}
my ($last_ok) = (map { $_->[0] } grep { $_->[2] == 200 } @seen)[-1] // 0;
ok $last_ok <= 1.5, sprintf('hosts 2 and 3 let the session in for at most %.2f s after the logout on host 1 '
                            . '(OTPSessionRecheck 1 s and a margin)', $last_ok);
my @late = grep { $_->[0] > 1.5 } @seen;
ok @late >= 4 && !grep({ $_->[2] != 401 } @late),
    '... then refuse it on every request (' . scalar(@late) . ' requests: ' . join(' ', map { $_->[2] } @late) . ')';

is join('', map { crash_lines($_) } @hosts), '', 'no child crashed on any host';
ok stop_hosts(@hosts), 'the hosts stop';
note sprintf 'this test took %.0f s', time - $^T;
