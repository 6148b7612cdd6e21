# A Redis state store that is down, hung or restarted (README "Several hosts", Failures;
# SPEC §7 "a store that is down or slow fails closed within its timeout, with an event"):
#  - Redis restarted while the hosts hold idle pooled connections to it: the very first
#    requests after the restart succeed on every process (a connection the server closed
#    while idle is noticed before it is used, not answered "Server closed the connection");
#  - Redis stopped: every host refuses codes with 503 (start endpoint, page form) or 500
#    (Basic) at once, with store_error events (WEB_100020 and WEB_100030), no crash, no hang;
#    pages that need no OTP are served; a session is not let in unchecked;
#  - Redis started again on the same port: every host recovers by itself, within the 2 s
#    reconnect backoff, without a restart of httpd;
#  - Redis hung (SIGSTOP): the same refusals, each within OTPStateStoreTimeout (300 ms here)
#    plus a margin; after SIGCONT every host recovers by itself.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Time::HiRes qw(time sleep);
use OTPTest qw(totp parallel_results %SECRET);
use RedisTest qw(start_redis stop_redis kill_redis pause_redis resume_redis start_hosts
                 stop_hosts host_events count_events event_mark error_log_since crash_lines
                 served_requests login_json basic_get_host new_client_get page_attempt form_post
                 wait_until);

plan tests => 66;

my $timeout_ms = 300;
my $redis = start_redis();
my @logins = qw(lucy ella ivy zeke zoe yuri quinn flo tim tom ada zara);
my $users = join '', map { "HOTP/T30 $_ - $SECRET{$_}\n" } @logins;
my @hosts = start_hosts(count => 3, store => "redis://127.0.0.1:$redis->{port}", users => $users,
                        body => <<"END");
OTPStateStoreTimeout $timeout_ms
# Every guess is counted in the store (and never locks anyone here).
OTPLockout 1000 300 900
OTPAddressLockout 1000 300 900
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

my $wrong = '000000';
# A request that needs the store, as "<way> <status> <seconds>": a wrong code at the start
# endpoint (401 when the store works) or by Basic (401), or the page's form (401).
sub probe {
    my ($host, $way, $user) = @_;
    my $t = time;
    my $code;
    if ($way eq 'json') { $code = (login_json($host, $user, $wrong))[0]->code }
    elsif ($way eq 'basic') { $code = basic_get_host($host, $user, $wrong, '/basic/index.html')->code }
    else { $code = form_post($host, page_attempt($host), $user, $wrong)->code }
    return sprintf '%s %d %.3f', $way, $code, time - $t;
}
# `per_host` probes on every host at once, ways in turn: the list of answers.
sub burst {
    my ($per_host, $user) = @_;
    my @ways = qw(json basic form);
    return parallel_results(3 * $per_host, sub {
        my ($i) = @_;
        local $RedisTest::HEADERS{'X-Test'} = $user;
        return probe($hosts[$i % 3], $ways[int(($i - 1) / 3) % 3], "$user-$i");
    });
}
# The answers of a burst while the store is unusable that are not the refusal of their way
# (503 at the start endpoint and the form, 500 for Basic).
sub not_refused { return grep { !/^(json 503|form 503|basic 500) / } @_ }
sub statuses { my %n; $n{(split ' ', $_)[1]}++ for @_; return join ' ', map { "$_ x$n{$_}" } sort keys %n }
sub slowest { my $max = 0; for (@_) { my $s = (split ' ')[2]; $max = $s if $s > $max } return $max }
sub login { my ($host, $user) = @_; return (login_json($host, $user, totp($user, 0)))[0]->code }
# The requests of burst `tag` that carried a code, as the hosts logged them: [pid, status,
# method, path, microseconds, tag].
sub served {
    my ($tag) = @_;
    return grep { $_->[5] eq $tag && $_->[3] =~ m{^/(app/\.otp/start|basic/)} } map { served_requests($_) } @hosts;
}
sub slowest_ms { my $max = 0; for (@_) { $max = $_->[4] if $_->[4] > $max } return int($max / 1000) }
# Each host logged a WEB_100020 store_error and a WEB_100030 for every code it refused since
# the mark (%refused: host dir => count), and still serves pages that need no OTP, at once.
sub refusals_logged {
    my ($mark, %refused) = @_;
    for my $host (@hosts) {
        my $n = $refused{ $host->{dir} };
        is scalar(host_events($host, since => $mark, event_id => 'WEB_100020', reason => 'store_error')), $n,
            "host $host->{index}: a WEB_100020 store_error for each of its $n refused codes";
        is scalar(host_events($host, since => $mark, event_id => 'WEB_100030')), $n,
            "host $host->{index}: ... and a WEB_100030";
        my $t_open = time;
        is new_client_get($host, '/open/index.html')->code, 200, "host $host->{index}: pages that need no OTP are served";
        ok time - $t_open < 1, '... at once';
    }
}
my @next_user = @logins;

# ---- up -------------------------------------------------------------------------------------
is join(' ', map { login($_, shift @next_user) } @hosts), '200 200 200', 'a login works on every host';
my $session_res = (login_json($hosts[0], $logins[0], totp($logins[0], 1)))[0];
my ($session) = join(', ', $session_res->header('Set-Cookie')) =~ /(otp_session=[^;]+)/;
ok $session, 'a session on host 1';

# ---- restarted while idle: the first requests after the restart succeed -----------------------
my @warm = burst(8, 'warm');
is statuses(@warm), '401 x24', 'the hosts talk to Redis (24 parallel wrong codes: 401)';
my $mark = event_mark(@hosts);
stop_redis($redis);
$redis = start_redis(port => $redis->{port}, dir => $redis->{dir});
my @after = burst(8, 'after-restart');
is statuses(@after), '401 x24', 'Redis restarted: the very first 24 requests (8 per host) all succeed';
# Processes that served the warm-up hold idle connections to the old server.
my @reused = map {
    my $host = $_;
    my %warm = map { ($_->[0] => 1) } grep { $_->[5] eq 'warm' } served_requests($host);
    my %after = map { ($_->[0] => 1) } grep { $_->[5] eq 'after-restart' } served_requests($host);
    scalar grep { $warm{$_} } keys %after;
} @hosts;
ok !(grep { $_ == 0 } @reused),
    "... served also by processes that held pooled connections from before (per host: @reused)";
is join('', map { error_log_since($_, $mark) =~ /unavailable|closed the connection|failing closed/ ? "host $_->{index} " : '' } @hosts), '',
    '... and no host logged a store failure';
is count_events(\@hosts, since => $mark, reason => qr/^store_/), 0, '... nor a store_error event';

# ---- stopped -----------------------------------------------------------------------------------
kill_redis($redis);
$mark = event_mark(@hosts);
my %refused;
for my $host (@hosts) {
    my @answers = map { probe($host, $_, "down-$_") } qw(json form basic);
    is join(' ', map { join ' ', (split)[0, 1] } @answers), 'json 503 form 503 basic 500',
        "Redis stopped, host $host->{index}: start endpoint 503, form 503, Basic 500";
    ok slowest(@answers) < 1, "... each at once (slowest " . slowest(@answers) . ' s)';
    $refused{ $host->{dir} } += 3;
}
my ($down_res, $down_body) = login_json($hosts[1], 'down-body', $wrong);
is $down_body->{error}, 'store_error', '... the start endpoint says store_error';
$refused{ $hosts[1]{dir} }++;
my $t_down = time;
my @down = burst(5, 'down');
$t_down = time - $t_down;
is join(', ', not_refused(@down)), '', '15 parallel requests over the three hosts: all refused (' . statuses(@down) . ')';
my @served = served('down');
is scalar(@served), 15, '... the hosts logged them';
ok slowest_ms(@served) < 200, '... each refused at once (the slowest took ' . slowest_ms(@served) . ' ms in httpd)';
ok $t_down < 10, sprintf '... no hang (%.1f s for the burst)', $t_down;
$refused{ $_->{dir} } += 5 for @hosts;
refusals_logged($mark, %refused);
is count_events(\@hosts, since => $mark, event_id => 'WEB_100019'), 0, 'no code was accepted';
sleep 1.1;    # past OTPSessionRecheck: the session must be checked in the store
my $t = time;
my @session_codes = map { new_client_get($_, '/app/index.html', $session)->code } @hosts;
is "@session_codes", '401 401 401', 'a session is not let in while its store is down';
ok time - $t < 3, '... and answered at once';

# ---- started again on the same port -----------------------------------------------------------
$redis = start_redis(port => $redis->{port}, dir => $redis->{dir});
my $restarted = time;
my @recovered = map {
    my $host = $_;
    wait_until(6, sub { (split ' ', probe($host, 'json', 'back'))[1] == 401 }) ? time - $restarted : 99;
} @hosts;
ok !(grep { $_ > 3 } @recovered), sprintf('Redis back: every host recovers without a restart (after %s s)',
                                          join ' / ', map { sprintf '%.1f', $_ } @recovered);
sleep 2.1 - (time - $restarted) if time - $restarted < 2.1;   # every process's backoff over
is statuses(burst(5, 'back')), '401 x15', '... then every request works on every host';
is join(' ', map { login($_, shift @next_user) } @hosts), '200 200 200', '... and a login on every host';
is join(' ', map { login($_, shift @next_user) } @hosts), '200 200 200', '... (other users)';

# ---- hung (SIGSTOP) ----------------------------------------------------------------------------
is statuses(burst(4, 'warm2')), '401 x12', 'the hosts talk to Redis again';
pause_redis($redis);
$mark = event_mark(@hosts);
%refused = ();
for my $host (@hosts) {
    my @answers = map { probe($host, $_, "hung-$_") } qw(json form basic);
    is join(' ', map { join ' ', (split)[0, 1] } @answers), 'json 503 form 503 basic 500',
        "Redis hung, host $host->{index}: start endpoint 503, form 503, Basic 500";
    ok slowest(@answers) < $timeout_ms / 1000 + 0.7,
        "... each within OTPStateStoreTimeout ($timeout_ms ms) and a margin: " . join(' ', map { (split)[2] } @answers);
    $refused{ $host->{dir} } += 3;
}
my $t_hung = time;
my @hung = burst(5, 'hung');
$t_hung = time - $t_hung;
is join(', ', not_refused(@hung)), '', '15 parallel requests while Redis is hung: all refused (' . statuses(@hung) . ')';
@served = served('hung');
is scalar(@served), 15, '... the hosts logged them';
ok slowest_ms(@served) < $timeout_ms + 300, "... each within OTPStateStoreTimeout ($timeout_ms ms) and a margin "
    . '(the slowest took ' . slowest_ms(@served) . ' ms in httpd)';
ok $t_hung < 10, sprintf '... no hang (%.1f s for the burst)', $t_hung;
$refused{ $_->{dir} } += 5 for @hosts;
refusals_logged($mark, %refused);
like error_log_since($hosts[0], $mark), qr/state store unavailable: redis 127\.0\.0\.1:$redis->{port}: (no answer within the timeout|timed out)/,
    'the error log names the server and the timeout';

resume_redis($redis);
my $resumed = time;
@recovered = map {
    my $host = $_;
    wait_until(6, sub { (split ' ', probe($host, 'json', 'resumed'))[1] == 401 }) ? time - $resumed : 99;
} @hosts;
ok !(grep { $_ > 3 } @recovered), sprintf('SIGCONT: every host recovers by itself (after %s s)',
                                          join ' / ', map { sprintf '%.1f', $_ } @recovered);
sleep 2.1 - (time - $resumed) if time - $resumed < 2.1;
is statuses(burst(5, 'resumed')), '401 x15', '... then every request works on every host';
is join(' ', map { login($_, shift @next_user) } @hosts), '200 200 200', '... and a login on every host';

is join("\n", map { crash_lines($_) } @hosts), '', 'no child crashed on any host';
ok stop_hosts(@hosts), 'the hosts stop';
note sprintf 'this test took %.0f s', time - $^T;
