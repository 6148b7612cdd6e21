# A stopped or hung store fails closed within OTPStateStoreTimeout and blocks nothing else
# (SPEC §7, issue 9), with a real memcached behind mod_socache_memcache on a server of the
# test's own:
#  - memcached stopped (killed): OTP requests are refused at once (503 / 500 for Basic) with
#    store_error events, Basic and the verify API included; unprotected pages are served;
#  - memcached hung (SIGSTOP): at most one request waits inside the provider, holding the
#    store's mutex (mod_socache_memcache's reads have no timeout we can set, see the README);
#    every other OTP request fails closed within the timeout, unprotected pages are served;
#  - after SIGCONT, and after a restart of memcached, logins work again without touching httpd.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use MIME::Base64 qw(encode_base64);
use POSIX ();
use IO::Socket::INET;
use Time::HiRes qw(time sleep);
use OTPTest qw(write_files post_start post_json read_events slurp write_standalone_conf standalone_dir free_port start_standalone stop_standalone
               new_client totp wait_for_fresh_step %SECRET);

my ($memcached) = grep { -x } map { "$_/memcached" } split(/:/, $ENV{PATH}), '/usr/bin';
die "memcached is not installed (apt-get install memcached)\n" unless $memcached;
plan tests => 20;

my $dir = standalone_dir();
my $port = free_port();
my $mc_port = free_port();
write_files($dir,
            'users.oath' => join('', map { "HOTP/T30 $_ - $SECRET{$_}\n" } qw(alice bob carol dave)),
            map { ("htdocs/$_/index.html" => "$_\n") } qw(app basic open));
write_standalone_conf(dir => $dir, port => $port, modules => ['socache_memcache'], body => <<"END");
DocumentRoot "$dir/htdocs"
OTPStateStore memcache:127.0.0.1:$mc_port
OTPStateStoreTimeout 300
OTPEventLog "$dir/events.log"
OTPUsersFile "$dir/users.oath"
<Location /app>
    AuthType OTP
    AuthName "Application"
    Require valid-user
</Location>
<Location /api>
    SetHandler otp-verify
    Require all granted
</Location>
<Location /basic>
    AuthType Basic
    AuthName "API"
    AuthBasicProvider otp
    OTPBasicLinger 0
    Require valid-user
</Location>
END

# memcached on the port we picked, loopback only, in the foreground (its PID is ours).
sub start_memcached {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        my @user = $> == 0 ? ('-u', 'nobody') : ();
        { no warnings 'exec'; exec $memcached, '-l', '127.0.0.1', '-p', $mc_port, '-U', '0',
                                   '-m', '16', @user }
        POSIX::_exit(127);
    }
    for (1 .. 50) {
        last if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$mc_port");
        sleep 0.1;
    }
    return $pid;
}
my $mc = start_memcached();
ok kill(0, $mc), 'memcached runs';

my $base = "http://127.0.0.1:$port";
start_standalone($dir, new_client(), "$base/app/");

sub start { my ($ua, $user, $otp) = @_; return post_start($ua, "$base/app/.otp/start", $user, $otp) }
sub basic {
    my ($user, $password) = @_;
    return new_client()->get("$base/basic/",
                             Authorization => 'Basic ' . encode_base64("$user:$password", ''));
}
sub events { return read_events("$dir/events.log") }
# mod_socache_memcache (apr_memcache) retries a server it saw fail only after 5 s: until then
# the store stays down for mod_otp too (503, no code compared, so the same code can be sent
# again). Logs in with `user`'s current code until a login gets through, for up to 15 s.
sub login_when_back {
    my ($user) = @_;
    my $until = time + 15;
    my $code;
    do {
        $code = (start(new_client(), $user, totp($user)))[0]->code;
        sleep 0.5 if $code == 503;
    } while ($code == 503 && time < $until);
    return $code;
}
sub store_errors { scalar grep { $_->{event_id} eq 'WEB_100020'
                                 && ($_->{reason} // '') eq 'store_error' } events() }

wait_for_fresh_step(30, 8);
is((start(new_client(), 'alice', totp('alice')))[0]->code, 200, 'a login works with memcached');

# ---- memcached stopped -------------------------------------------------------------------
kill 'KILL', $mc;
waitpid $mc, 0;
my $before = store_errors();
my $t0 = time;
my ($down, $down_body) = start(new_client(), 'bob', '123456');
is $down->code, 503, 'memcached gone: the start endpoint answers 503';
is $down_body->{error}, 'store_error', '... store_error';
my $basic_down = basic('carol', '123456');
ok $basic_down->code >= 500, 'Basic answers ' . $basic_down->code . ' (fails closed)';
my ($api_down, $api_body) = post_json(new_client(), "$base/api/verify",
                                      {userName => 'dave', otp => '123456'});
is $api_down->code, 503, 'the verify API answers 503';
is $api_body->{errorCode}, 3000, '... errorCode 3000 (store_error)';
ok time - $t0 < 5, sprintf('all three answered within %.1f s', time - $t0);
is store_errors() - $before, 3, 'a store_error WEB_100020 for each refused code, Basic and the API included';
is new_client()->get("$base/open/index.html")->code, 200, 'unprotected pages are served';

# ---- memcached hung ----------------------------------------------------------------------
$mc = start_memcached();
wait_for_fresh_step(30, 8);
is login_when_back('bob'), 200, 'memcached back: a login works';
kill 'STOP', $mc;
# The first request gets stuck inside mod_socache_memcache, holding the store's mutex.
my $stuck = fork // die;
if (!$stuck) { start(new_client(), 'carol', '111111'); POSIX::_exit(0) }
sleep 1;
my @timings;
my @codes;
my @kids;
for my $i (1 .. 8) {
    pipe my $r, my $w or die;
    my $pid = fork // die;
    if (!$pid) {
        close $r;
        my $t = time;
        my $code = $i % 2 ? (start(new_client(), "user$i", '222222'))[0]->code
                          : basic("user$i", '222222')->code;
        printf $w "%d %.3f\n", $code, time - $t;
        close $w;
        POSIX::_exit(0);
    }
    close $w;
    push @kids, [$pid, $r];
}
# While they wait: pages that need no OTP are served at once.
sleep 4;
my $open_t = time;
is new_client()->get("$base/open/index.html")->code, 200, 'unprotected pages are served meanwhile';
ok time - $open_t < 2, '... at once';
# Resume memcached now, so that a request stuck inside the provider returns (it would wait
# for its connection to time out otherwise), then collect the answers.
kill 'CONT', $mc;
for (@kids) {
    my ($pid, $r) = @$_;
    my $line = <$r> // '0 99';
    waitpid $pid, 0;
    my ($code, $secs) = split ' ', $line;
    push @codes, $code;
    push @timings, $secs;
}
ok !(grep { $_ == 200 } @codes), 'memcached hung: none of 8 parallel OTP requests (page and Basic) '
    . 'is let in: ' . join(' ', @codes);
# Only the one request that holds the store's mutex can be inside the provider, waiting on
# the stopped memcached (mod_socache_memcache cannot be given a timeout); every other one
# fails closed (5xx) after at most OTPStateStoreTimeout.
my $fast_refusals = grep { $codes[$_] >= 500 && $timings[$_] < 3 } 0 .. $#codes;
ok $fast_refusals >= 7, "all but at most the one inside the provider failed closed within 3 s "
    . "($fast_refusals of 8): " . join(' ', @timings) or diag slurp("$dir/error_log");
like slurp("$dir/error_log"), qr/not free within OTPStateStoreTimeout/,
    'the error log says the store lock timed out';

# ---- memcached resumed -------------------------------------------------------------------
waitpid $stuck, 0;
ok 1, 'the stuck request finished after SIGCONT';
wait_for_fresh_step(30, 8);
is login_when_back('carol'), 200, 'after SIGCONT a login works again, httpd untouched';
# ---- memcached restarted -----------------------------------------------------------------
kill 'KILL', $mc;
waitpid $mc, 0;
$mc = start_memcached();
wait_for_fresh_step(30, 8);
is login_when_back('dave'), 200, 'after a memcached restart a login works again, httpd untouched';

ok stop_standalone($dir), 'the server stops';
kill 'KILL', $mc;
waitpid $mc, 0;
