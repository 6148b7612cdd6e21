# OTPStateStore redis-sentinel:// (README "OTPStateStore", "Several hosts"): one master, one
# replica and three sentinels on loopback. Logins work through the master the sentinels name;
# when the master is killed (SIGKILL) and the sentinels promote the replica, logins work
# again without touching httpd, the state written before the failover (a used code, a
# lockout) still holds, and the error log says the sentinels name the new master.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Time::HiRes qw(time sleep);
use OTPTest qw(totp %SECRET);
use RedisTest qw(start_redis kill_redis redis_cli start_sentinels sentinel_master start_host
                 stop_hosts host_events login_json basic_get_host error_log_of crash_lines
                 wait_until);

plan tests => 20;

my $master = start_redis();
my $replica = start_redis(replicaof => ['127.0.0.1', $master->{port}]);
ok wait_until(10, sub { redis_cli($replica, 'INFO', 'replication') =~ /master_link_status:up/ }, 0.1),
    'the replica follows the master';
my @sentinels = start_sentinels(master => $master, name => 'otpmaster', replicas => 1,
                                down_after => 1000, failover_timeout => 3000);
is scalar(@sentinels), 3, 'three sentinels know the master, the replica and each other';

my $users = join '', map { "HOTP/T30 $_ - $SECRET{$_}\n" } qw(lucy ella ivy larry sam);
my $sentinel_list = join ',', map { "127.0.0.1:$_->{port}" } @sentinels;
my $host = start_host(store => "redis-sentinel://$sentinel_list/otpmaster", users => $users,
                      body => <<'END');
OTPStateStoreTimeout 500
OTPLockout 3 300 900
OTPAddressLockout off
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

my $lucy_code = totp('lucy', 0);
is((login_json($host, 'lucy', $lucy_code))[0]->code, 200, 'a login through the master the sentinels name');
like error_log_of($host), qr/the sentinels name 127\.0\.0\.1:$master->{port} as master 'otpmaster'/,
    '... the error log names it';
login_json($host, 'larry', sprintf('%06d', $_)) for 1 .. 3;
is scalar(host_events($host, IDENTIFIER => 'larry', event_id => 'WEB_100024')), 1, 'larry is locked out (3 wrong codes)';
ok scalar(grep { /\.session$/ } redis_cli($master, 'KEYS', '*')), 'the records are on the master';
# Asynchronous replication: wait until the replica has everything, so the failover loses nothing.
is redis_cli($master, 'WAIT', 1, 2000), '1', 'the replica acknowledged the writes';

# ---- failover ----------------------------------------------------------------------------------
kill_redis($master);
my $killed = time;
my $first_answer = (login_json($host, 'ella', '000000'))[0]->code;
is $first_answer, 503, 'master killed: refused (503) until the sentinels name a new master';
my $back = wait_until(20, sub { (login_json($host, 'ella', '000000'))[0]->code == 401 }, 0.25);
my $took = time - $killed;
ok $back, sprintf('the store works again %.1f s after the kill, httpd untouched', $took);
# Every process of httpd finds the new master by itself within its reconnect backoff (2 s).
sleep 2.1;
ok wait_until(5, sub { sentinel_master($sentinels[0]) eq "127.0.0.1:$replica->{port}" }),
    'the sentinels promoted the replica';
is redis_cli($replica, 'ROLE') =~ /^master/ ? 1 : 0, 1, '... which says it is the master';
is((login_json($host, 'ella', totp('ella', 0)))[0]->code, 200, 'a login works after the failover');
is basic_get_host($host, 'ivy', totp('ivy', 0), '/basic/index.html')->code, 200, '... and by Basic';
like error_log_of($host), qr/the sentinels name 127\.0\.0\.1:$replica->{port} as master 'otpmaster'/,
    'the error log says the sentinels name the new master';
is((login_json($host, 'lucy', $lucy_code))[0]->code, 401, "lucy's code from before the failover is still used up");
is scalar(host_events($host, IDENTIFIER => 'lucy', event_id => 'WEB_100020', reason => 'replay')), 1, '... a replay';
my ($res, $answer) = login_json($host, 'larry', totp('larry', 0));
is "@{[ $res->code ]} @{[ $answer->{error} // '-' ]}", '429 locked', 'larry is still locked';
ok scalar(grep { /\.session$/ } redis_cli($replica, 'KEYS', '*')) >= 2, 'the sessions are on the new master';

is join('', crash_lines($host)), '', 'no child crashed';
ok stop_hosts($host), 'the host stops';
note sprintf 'this test took %.0f s', time - $^T;
