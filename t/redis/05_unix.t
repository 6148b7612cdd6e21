# OTPStateStore redis+unix:///path?db=N (README "OTPStateStore") and OTPStateStorePrefix
# (README "OTPStateStorePrefix"):
#  - logins work through a Unix socket (no TCP port at all), and the records land in the
#    database the address names, under the default prefix otp:, and nowhere else;
#  - two sites sharing one Redis with different prefixes are separate: a lockout on one is no
#    lockout on the other, and each has its own replay records; hosts of one site (the same
#    prefix) share them.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp %SECRET);
use RedisTest qw(start_redis redis_cli start_host await_hosts stop_hosts host_events count_events login_json
                 basic_get_host new_client_get temp_dir crash_lines);

plan tests => 23;

my $sock_dir = temp_dir();
my $redis = start_redis(port => 0, unixsocket => "$sock_dir/redis.sock");
is redis_cli($redis, 'CONFIG', 'GET', 'port'), "port\n0", 'Redis listens on a Unix socket only';
my $users = join '', map { "HOTP/T30 $_ - $SECRET{$_}\n" } qw(lucy ella larry rita);
my $body = <<'END';
OTPStateStoreTimeout 1000
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
sub keys_in { my ($db, $pattern) = @_; return grep { length } redis_cli($redis, '-n', $db, 'KEYS', $pattern // '*') }

# ---- redis+unix://...?db=3 ----------------------------------------------------------------------
my $site = "redis+unix://$sock_dir/redis.sock?db=5";
my ($unix, $a1, $a2, $b1) = await_hosts(
    start_host(index => 1, store => "redis+unix://$sock_dir/redis.sock?db=3", users => $users,
               body => $body, no_wait => 1),
    map {
        start_host(index => $_->[0], store => $site, users => $users, body => $body, no_wait => 1,
                   global => "OTPStateStorePrefix $_->[1]\n");
    } [2, 'site-a:'], [3, 'site-a:'], [4, 'site-b:']);
my ($res) = login_json($unix, 'lucy', totp('lucy', 0));
is $res->code, 200, 'a login through the Unix socket';
my ($cookie) = join(', ', $res->header('Set-Cookie')) =~ /(otp_session=[^;]+)/;
is new_client_get($unix, '/app/index.html', $cookie)->code, 200, '... its session works';
is basic_get_host($unix, 'ella', totp('ella', 0), '/basic/index.html')->code, 200, '... and Basic';
my @db3 = keys_in(3);
ok scalar(@db3) >= 3, 'the records are in database 3 (' . scalar(@db3) . ' keys)';
is scalar(grep { !/^otp:/ } @db3), 0, '... each under the default prefix otp:';
ok scalar(grep { /\.session$/ } @db3), '... the session among them';
is scalar(keys_in(0)), 0, 'database 0 is empty';
like RedisTest::error_log_of($unix), qr{state store redis\+unix://\Q$sock_dir\E/redis\.sock\?db=3 \(key prefix 'otp:'},
    'the startup log names the socket and the database';

# ---- two sites, one Redis (database 5), different prefixes ---------------------------------------
login_json($a1, 'larry', sprintf('%06d', $_)) for 1 .. 3;
is scalar(host_events($a1, IDENTIFIER => 'larry', event_id => 'WEB_100024')), 1, 'site a, host 1: 3 wrong codes lock larry';
my $code = totp('larry', 0);
my ($res2, $answer) = login_json($a2, 'larry', $code);
is "@{[ $res2->code ]} @{[ $answer->{error} // '-' ]}", '429 locked', 'site a, host 2 (the same prefix): larry is locked';
($res2, $answer) = login_json($b1, 'larry', $code);
is $res2->code, 200, 'site b (another prefix): larry is not locked, his code logs in';
is basic_get_host($b1, 'larry', totp('larry', 1), '/basic/index.html')->code, 200, '... also by Basic';
is scalar(host_events($b1, IDENTIFIER => 'larry', reason => 'locked')), 0, '... site b logged no lock';
# Replay records are per site too: one code logs in once on each site.
my $rita = totp('rita', 0);
is((login_json($a1, 'rita', $rita))[0]->code, 200, 'site a accepts a code of rita');
is((login_json($a2, 'rita', $rita))[0]->code, 401, '... site a refuses it again (host 2)');
is scalar(host_events($a2, IDENTIFIER => 'rita', reason => 'replay')), 1, '... as a replay';
is((login_json($b1, 'rita', $rita))[0]->code, 200, 'site b has its own replay records: it accepts the code once');
is((login_json($b1, 'rita', $rita))[0]->code, 401, '... and only once');
my @db5 = keys_in(5);
ok scalar(grep { /^site-a:/ } @db5) && scalar(grep { /^site-b:/ } @db5), 'database 5 holds records of both prefixes';
is scalar(grep { !/^site-[ab]:/ } @db5), 0, '... and nothing else';

is join('', map { crash_lines($_) } $unix, $a1, $a2, $b1), '', 'no child crashed';
ok stop_hosts($unix, $a1, $a2, $b1), 'the hosts stop';
note sprintf 'this test took %.0f s', time - $^T;
