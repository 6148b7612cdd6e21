# A Redis state store with a password (README "OTPStateStorePasswordFile"), and the store
# settings that only a Redis store takes:
#  - requirepass + OTPStateStorePasswordFile: logins work (start endpoint and Basic);
#  - a wrong password, or none: every code is refused (fail closed: 503 / Basic 500) with an
#    error-log line that says AUTH was refused and names OTPStateStorePasswordFile;
#  - the password appears in no log (error logs, event logs, access logs, configtest output);
#  - a password in the address (redis://:pw@host:port) fails configtest without quoting it;
#  - OTPStateStorePasswordFile or OTPStateStorePrefix without a Redis store fail startup with
#    a clear message;
#  - the socache providers several hosts could share (memcache, mod_socache_redis) start with
#    a warning that names redis://.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Time::HiRes qw(time sleep);
use OTPTest qw(totp write_standalone_conf standalone_dir free_port slurp %SECRET);
use RedisTest qw(start_redis redis_cli start_host await_hosts stop_hosts host_events login_json basic_get_host
                 temp_dir write_secret_file session_key_file httpd_binary wait_until
                 error_log_of crash_lines);

my $modules = `apxs -q LIBEXECDIR`;
chomp $modules;
my @socache = grep { -e "$modules/mod_socache_$_.so" } qw(memcache redis);
plan tests => 34 + 2 * @socache;

my $password = 'pw-' . join '', map { sprintf '%02x', int rand 256 } 1 .. 12;
my $wrong_password = 'wrong-' . join '', map { sprintf '%02x', int rand 256 } 1 .. 12;
my $redis = start_redis(password => $password);
my $secrets = temp_dir();
my $pw_file = write_secret_file("$secrets/redis.pw", "$password\n");
my $wrong_file = write_secret_file("$secrets/wrong.pw", "$wrong_password\n");
my $users = join '', map { "HOTP/T30 $_ - $SECRET{$_}\n" } qw(lucy ella ivy);
my $body = <<'END';
OTPStateStoreTimeout 1000
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
my $store = "redis://127.0.0.1:$redis->{port}";
my @everything;    # every log and output, checked for the password at the end

# ---- the right password ------------------------------------------------------------------------
my ($good, $bad, $none) = await_hosts(
    start_host(index => 1, store => $store, users => $users, body => $body, no_wait => 1,
               global => "OTPStateStorePasswordFile $pw_file\n"),
    start_host(index => 2, store => $store, users => $users, body => $body, no_wait => 1,
               global => "OTPStateStorePasswordFile $wrong_file\n"),
    start_host(index => 3, store => $store, users => $users, body => $body, no_wait => 1));
is((login_json($good, 'lucy', totp('lucy', 0)))[0]->code, 200, 'with the password: a login at the start endpoint');
is basic_get_host($good, 'ella', totp('ella', 0), '/basic/index.html')->code, 200, '... and by Basic';
like error_log_of($good), qr/state store redis:\/\/127\.0\.0\.1:$redis->{port} .*AUTH from OTPStateStorePasswordFile/,
    'the startup log says AUTH comes from OTPStateStorePasswordFile';
ok scalar(grep { /\.session$/ } redis_cli($redis, 'KEYS', 'otp:*')), 'the session is in the Redis that wants the password';

# ---- a wrong password, no password -------------------------------------------------------------
my ($res, $answer) = login_json($bad, 'ivy', totp('ivy', 0));
is $res->code, 503, 'a wrong password: the start endpoint refuses the right code (503)';
is $answer->{error}, 'store_error', '... store_error';
is basic_get_host($bad, 'ivy', totp('ivy', 0), '/basic/index.html')->code, 500, '... and Basic (500)';
is scalar(host_events($bad, event_id => 'WEB_100020', reason => 'store_error')), 2, '... two store_error refusals logged';
is scalar(host_events($bad, event_id => 'WEB_100030')), 2, '... with their WEB_100030';
is scalar(host_events($bad, event_id => 'WEB_100019')), 0, '... and nothing accepted';
like error_log_of($bad), qr/redis 127\.0\.0\.1:$redis->{port}: AUTH refused \(check OTPStateStorePasswordFile\): WRONGPASS/,
    'the error log says AUTH was refused and names OTPStateStorePasswordFile';
# The password this host sent must still work here: the code was not used up.
is((login_json($good, 'ivy', totp('ivy', 0)))[0]->code, 200, "... the refused code was not used up: it logs in on the host with the right password");

($res, $answer) = login_json($none, 'lucy', '000000');
is $res->code, 503, 'no password for a Redis that wants one: refused (503)';
# Found when the connection is set up (PING), not by a later command's protocol error.
like error_log_of($none), qr/redis 127\.0\.0\.1:$redis->{port}: the server wants a password \(AUTH\): set OTPStateStorePasswordFile: NOAUTH/,
    '... the error log says the server wants a password and names OTPStateStorePasswordFile';
push @everything, map { slurp($_->{error_log}), slurp($_->{events}), slurp($_->{access_log}) } $good, $bad, $none;
is join('', map { crash_lines($_) } $good, $bad, $none), '', 'no child crashed';
ok stop_hosts($good, $bad, $none), 'the hosts stop';

# ---- configuration errors ----------------------------------------------------------------------
my $key = session_key_file();
# Runs `httpd -t` on a configuration: (exit status, output).
sub configtest {
    my ($conf_body, %opt) = @_;
    my $dir = standalone_dir();
    write_standalone_conf(dir => $dir, port => free_port(), body => "OTPSessionKeyFile \"$key\"\n$conf_body",
                          modules => $opt{modules} // []);
    my $out = `'@{[ httpd_binary() ]}' -t -f '$dir/httpd.conf' 2>&1`;
    my $status = $? >> 8;
    push @everything, $out, slurp("$dir/error_log");
    return ($status, $out);
}
# Starts httpd on a configuration: (whether it runs, its error log), stopped again.
sub try_start {
    my ($conf_body, %opt) = @_;
    my $dir = standalone_dir();
    my $port = free_port();
    write_standalone_conf(dir => $dir, port => $port, body => "OTPSessionKeyFile \"$key\"\n$conf_body",
                          modules => $opt{modules} // []);
    system 'chown', '-R', 'nobody:nogroup', $dir if $> == 0;
    my $out = `'@{[ httpd_binary() ]}' -f '$dir/httpd.conf' -k start 2>&1`;
    my $refused = $? != 0;  # check_config refused it before detaching
    # httpd detaches before it runs post_config: a start that fails there still exits 0.
    wait_until(5, sub { slurp("$dir/error_log") =~ /resuming normal operations|Configuration Failed/ })
        unless $refused;
    my $runs = slurp("$dir/error_log") =~ /resuming normal operations/ ? 1 : 0;
    if (-e "$dir/httpd.pid") {
        chomp(my $pid = slurp("$dir/httpd.pid"));
        kill 'TERM', $pid;
        wait_until(10, sub { !kill 0, $pid });
    }
    my $log = slurp("$dir/error_log") . $out;
    push @everything, $log;
    return ($runs, $log);
}

for my $address ("redis://:$password\@127.0.0.1:$redis->{port}", "redis://default:$password\@127.0.0.1:$redis->{port}/2",
                 "redis-sentinel://:$password\@127.0.0.1:26379/mymaster") {
    (my $shown = $address) =~ s/\Q$password\E/PASSWORD/;
    my ($status, $out) = configtest("OTPStateStore $address\n");
    isnt $status, 0, "configtest fails for OTPStateStore $shown";
    like $out, qr/OTPStateStore: not a Redis address: a password does not go in the address.*OTPStateStorePasswordFile/,
        '... saying the password goes in OTPStateStorePasswordFile';
}
# Caught by configtest already (check_config), so `configtest && graceful` keeps a running
# server running.
for my $redis_only ("OTPStateStorePasswordFile \"$pw_file\"\n", "OTPStateStore shmcb\nOTPStateStorePrefix site-a:\n") {
    my ($status, $out) = configtest($redis_only);
    isnt $status, 0, 'configtest fails for ' . (split ' ', $redis_only)[-2] . ' without a Redis store';
    like $out, qr/only a Redis store \(OTPStateStore redis:\/\/\.\.\.\) uses a/, '... saying only a Redis store uses it';
}
my ($runs, $log) = try_start("OTPStateStorePasswordFile \"$pw_file\"\n");
ok !$runs, 'OTPStateStorePasswordFile without a Redis store: httpd does not start';
like $log, qr/OTPStateStorePasswordFile \S+: only a Redis store \(OTPStateStore redis:\/\/\.\.\.\) uses a password/,
    '... and the log says why';
($runs, $log) = try_start("OTPStateStore shmcb\nOTPStateStorePrefix site-a:\n");
ok !$runs, 'OTPStateStorePrefix without a Redis store: httpd does not start';
like $log, qr/OTPStateStorePrefix: only a Redis store \(OTPStateStore redis:\/\/\.\.\.\) uses a key prefix/,
    '... and the log says why';
($runs, $log) = try_start("OTPStateStore redis://127.0.0.1:$redis->{port}\nOTPStateStorePasswordFile \"$pw_file\"\nOTPStateStorePrefix site-a:\n");
ok $runs, 'both with a Redis store: httpd starts';
for my $provider (@socache) {
    my $where = $provider eq 'memcache' ? 'memcache:127.0.0.1:' . free_port() : 'redis:127.0.0.1:' . free_port();
    ($runs, $log) = try_start("OTPStateStore $where\n", modules => ["socache_$provider"]);
    ok $runs, "OTPStateStore $where (mod_socache_$provider) starts";
    like $log, qr/\[otp:warn\].*OTPStateStore $provider: .*exact for this host only.*use OTPStateStore redis:\/\//,
        '... with a warning that the limits hold per host and naming redis://';
}

# ---- the password in no log ----------------------------------------------------------------------
my $all = join "\n", @everything;
ok length($all) > 1000, 'the logs and outputs were read (' . length($all) . ' bytes)';
unlike $all, qr/\Q$password\E/, 'the password is in no log and no output';
unlike $all, qr/\Q$wrong_password\E/, '... nor the wrong one';
note sprintf 'this test took %.0f s', time - $^T;
