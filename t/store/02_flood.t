# Security state survives any request load (SPEC §7, issue 9). With the default store, on a
# server of the test's own: 1,000 live sessions and 5,000 anonymous page loads and wrong-code
# posts from distinct attempts, in parallel; afterwards a used code is still refused as a
# replay, a locked user is still locked and the first session still opens. (mod_socache_shmcb,
# the store before issue 9, forgot all three after a few hundred such requests.)
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Digest::SHA qw(hmac_sha1);
use POSIX ();
use OTPTest qw(write_files post_start read_events write_standalone_conf standalone_dir free_port start_standalone stop_standalone
               new_client wait_for_fresh_step);

plan tests => 12;

# Under the sanitizer run (scripts/run-e2e-tests.sh sets OTP_E2E_SANITIZER) a fifth of the
# load: that run checks memory safety, the ordinary runs check capacity.
my $scale = $ENV{OTP_E2E_SANITIZER} ? 5 : 1;
use constant WORKERS => 4;
my ($SESSIONS, $FLOOD) = (1000 / $scale, 5000 / $scale);

# RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for a hex secret.
sub totp_hex {
    my ($hex, $offset) = @_;
    my $counter = int(time / 30) + ($offset // 0);
    my $mac = hmac_sha1(pack('NN', int($counter / 2**32), $counter % 2**32), pack('H*', $hex));
    my $o = ord(substr $mac, -1) & 0x0f;
    my $n = unpack('N', substr $mac, $o, 4) & 0x7fffffff;
    return sprintf '%06d', $n % 1_000_000;
}

my $dir = standalone_dir();
my $port = free_port();
my %secret;
$secret{"u$_"} = unpack 'H*', pack 'N5', map { int rand 2**32 } 1 .. 5 for 0 .. $SESSIONS + 1;
write_files($dir, 'users.oath' => join('', map { "HOTP/T30 $_ - $secret{$_}\n" } sort keys %secret),
            'htdocs/app/index.html' => "inside\n");
write_standalone_conf(dir => $dir, port => $port, body => <<"END");
DocumentRoot "$dir/htdocs"
OTPStateStore shmcb
OTPEventLog "$dir/events.log"
# One test client plays 5,000 visitors: the per-address limit would stop it after 20.
OTPAddressLockout off
MaxKeepAliveRequests 0
<Location /app>
    AuthType OTP
    AuthName "Application"
    OTPUsersFile "$dir/users.oath"
    OTPLockout 3 600 900
    Require valid-user
</Location>
END
my $base = "http://127.0.0.1:$port";
start_standalone($dir, new_client(), "$base/app/");

sub start { my ($ua, $user, $otp) = @_; return (post_start($ua, "$base/app/.otp/start", $user, $otp))[0] }

# Runs $count jobs over WORKERS processes; returns {HTTP status => count}.
sub in_parallel {
    my ($count, $job) = @_;
    my @kids;
    for my $w (0 .. WORKERS - 1) {
        pipe my $r, my $wr or die;
        my $pid = fork // die;
        if (!$pid) {
            close $r;
            my %seen;
            # One keep-alive connection per worker and no cookie jar: every request is a new
            # anonymous visitor (a new attempt), without the cost of a new connection.
            require LWP::UserAgent;
            my $ua = LWP::UserAgent->new(keep_alive => 1, max_redirect => 0, timeout => 30);
            $ua->default_header(Accept => 'text/html');
            for (my $i = $w; $i < $count; $i += WORKERS) { $seen{ $job->($i, $ua) }++ }
            print $wr join(' ', %seen), "\n";
            close $wr;
            POSIX::_exit(0);
        }
        close $wr;
        push @kids, [$pid, $r];
    }
    my %total;
    for (@kids) {
        my ($pid, $r) = @$_;
        my %seen = split ' ', (<$r> // '');
        waitpid $pid, 0;
        $total{$_} += $seen{$_} for keys %seen;
    }
    return \%total;
}

# The state the flood must not wash out: u0's session and used code, a locked user.
wait_for_fresh_step(30, 15);
my $first = new_client();
my $used = totp_hex($secret{u0});
is start($first, 'u0', $used)->code, 200, 'u0 logs in';
is $first->get("$base/app/index.html")->code, 200, "u0's session opens";
start(new_client(), 'u' . ($SESSIONS + 1), '000000') for 1 .. 3;
is start(new_client(), 'u' . ($SESSIONS + 1), '000000')->code, 429, 'a user is locked';

# 1,000 more live sessions, each its own browser.
my $sessions = in_parallel($SESSIONS, sub {
    my ($i) = @_;
    my $ua = new_client();
    my $code = start($ua, 'u' . ($i + 1), totp_hex($secret{ 'u' . ($i + 1) }))->code;
    return $code == 200 ? $ua->get("$base/app/index.html")->code : "start$code";
});
# A login that crossed a time-step boundary may have used the previous step's code: accepted.
is $sessions->{200} // 0, $SESSIONS, $SESSIONS . ' live sessions' or diag explain $sessions;

# 5,000 anonymous page loads, and 5,000 wrong-code posts from distinct attempts (a new browser
# each time) for distinct made-up user names.
my $pages = in_parallel($FLOOD, sub { my ($i, $ua) = @_; $ua->get("$base/app/index.html")->code });
is $pages->{401} // 0, $FLOOD, $FLOOD . ' page loads, each the login page' or diag explain $pages;
my $posts = in_parallel($FLOOD, sub { my ($i, $ua) = @_; start($ua, "nobody$i", '000000')->code });
is $posts->{401} // 0, $FLOOD, $FLOOD . ' wrong codes, each refused as such (no 503)'
    or diag explain $posts;

# Nothing was forgotten.
my $replay = new_client();
my $res = start($replay, 'u0', $used);
isnt $res->code, 200, "u0's used code is refused after the flood";
is $res->code, 401, '... with 401';
my @events = read_events("$dir/events.log");
ok((grep { $_->{event_id} eq 'WEB_100020' && $_->{IDENTIFIER} eq 'u0'
           && ($_->{reason} // '') eq 'replay' } @events), '... as a replay');
is start(new_client(), 'u' . ($SESSIONS + 1), totp_hex($secret{ 'u' . ($SESSIONS + 1) }))->code, 429,
    'the locked user is still locked';
is $first->get("$base/app/index.html")->code, 200, 'the first session still opens';

ok stop_standalone($dir), 'the server stops';
