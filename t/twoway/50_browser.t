# The two-way portal page in a real browser: Debian's chromium, headless, driven by
# t/browser/portal.mjs (playwright-core), against a server of the test's own whose portal is
# behind AuthType Basic (the browser logs in with httpCredentials). The test inits two flows;
# the browser types their client codes into the page, once with JavaScript (after a wrong code,
# whose error it must see in place) and once without (form post), and reads the responses from
# #twoway-response; the test completes both flows with them and must get 2000 for the portal
# user. The page is also checked in Swedish (Accept-Language: sv). Screenshots go to
# t/results/browser/ (test artifacts).
# Skipped, loudly, only when /usr/bin/chromium is missing (scripts/ensure-deps.sh installs it).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use File::Spec;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(api_call read_events slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client);

my $chromium = $ENV{CHROMIUM_PATH} // '/usr/bin/chromium';
my $browser_dir = File::Spec->catdir($FindBin::Bin, '..', 'browser');
my $out_dir = File::Spec->catdir($FindBin::Bin, '..', 'results', 'browser');
my @shots = qw(portal-en-js.png portal-en-js-response.png portal-en-nojs.png portal-en-nojs-response.png portal-sv.png);

unless (-x $chromium) {
    my $bar = '!' x 78;
    diag "\n$bar\n!!! BROWSER TEST SKIPPED: $chromium is not installed.\n"
       . "!!! The real-browser two-way portal test did NOT run. Install it: apt-get install chromium\n"
       . "!!! (scripts/ensure-deps.sh test does that).\n$bar";
    plan skip_all => "$chromium is not installed (apt-get install chromium)";
}

plan tests => 13 + 2 * @shots;

unless (-d File::Spec->catdir($browser_dir, 'node_modules', 'playwright-core')) {
    diag "t/browser/node_modules missing: npm ci in $browser_dir";
    system('sh', '-c', 'cd "$1" && npm ci --no-audit --no-fund >&2', 'npm-ci', $browser_dir);
}
unless (ok -d File::Spec->catdir($browser_dir, 'node_modules', 'playwright-core'),
        'playwright-core installed in t/browser/node_modules') {
    fail "not run: no playwright-core (npm ci in t/browser)" for 1 .. 12 + 2 * @shots;
    exit 1;
}
make_path($out_dir);
unlink map { File::Spec->catfile($out_dir, $_) } @shots;

my $dir = standalone_dir();
my $port = free_port();
my $base = "http://127.0.0.1:$port";
my ($user, $password) = ('bella', 'pw-bella-first');
system('sh', '-c', 'htpasswd "$@" 2>/dev/null', 'htpasswd', '-cbm', "$dir/htpasswd", $user, $password) == 0
    or die 'htpasswd failed';
write_standalone_conf(dir => $dir, port => $port, modules => ['authn_file'], body => <<"END");
OTPEventLog "$dir/events.log"
<Location /twoway>
    SetHandler otp-twoway
    Require all granted
</Location>
<Location /portal/connect-app>
    SetHandler otp-twoway-portal
    AuthType Basic
    AuthName "Portal"
    AuthBasicProvider file
    AuthUserFile "$dir/htpasswd"
    Require valid-user
</Location>
END
start_standalone($dir, new_client(), "$base/portal/connect-app");

my @flows = map { (api_call("$base/twoway/init", undef))[1] // {} } 1 .. 2;
ok +(grep { ($_->{status} // 0) == 2000 } @flows) == 2, 'two flows started (init 2000)';
my ($js, $nojs) = @flows;
my %live = map { ($_->{data} // '') => 1 } @flows;
my ($wrong) = grep { !$live{$_} } qw(000000 999999 555555);

my $started = time;
my @cmd = ('node', File::Spec->catfile($browser_dir, 'portal.mjs'), '--base', $base, '--path', '/portal/connect-app',
           '--out', $out_dir, '--user', $user, '--password', $password,
           '--js-code', $js->{data} // '', '--nojs-code', $nojs->{data} // '', '--wrong-code', $wrong);
my $output = '';
my $pid = open(my $fh, '-|') // die "fork: $!";
if (!$pid) {
    open STDERR, '>&', \*STDOUT;
    exec @cmd or die "exec node: $!";
}
local $SIG{ALRM} = sub { kill 'TERM', $pid; diag 'browser script timed out after 180 s' };
alarm 180;
while (my $line = <$fh>) {
    $output .= $line;
    chomp $line;
    $line =~ /^not ok\b|Error|error:/ ? diag $line : note $line;
}
close $fh;
my $status = $?;
alarm 0;
is $status, 0, 'the browser used the portal page with and without JavaScript, in en and sv (portal.mjs)'
    or diag "portal.mjs exit status " . ($status >> 8) . ", signal " . ($status & 127);
ok $output !~ /^not ok\b/m && $output =~ /^# all checks passed/m, 'every check in portal.mjs passed';
note sprintf 'browser run took %d s', time - $started;

my ($response_js) = $output =~ /^# response-js: (\S+)$/m;
my ($response_nojs) = $output =~ /^# response-nojs: (\S+)$/m;
like $response_js // '', qr/^[0-9]{6}$/, 'with JavaScript the page showed a response';
like $response_nojs // '', qr/^[0-9]{6}$/, 'without JavaScript the page showed a response';
my ($res, $b) = api_call("$base/twoway/complete", {flow => $js->{flow}, data => $response_js // ''});
is_deeply [$res->code, $b && $b->{status}, $b && $b->{user}], [200, 2000, $user], "complete with the response read with JavaScript: 200 2000 $user";
($res, $b) = api_call("$base/twoway/complete", {flow => $nojs->{flow}, data => $response_nojs // ''});
is_deeply [$res->code, $b && $b->{status}, $b && $b->{user}], [200, 2000, $user], "complete with the response read without JavaScript: 200 2000 $user";

for my $shot (@shots) {
    my $path = File::Spec->catfile($out_dir, $shot);
    ok -s $path, "$shot saved, not empty";
    my $magic = '';
    if (open my $png, '<:raw', $path) { read $png, $magic, 8; close $png }
    is unpack('H*', $magic), '89504e470d0a1a0a', "$shot is a PNG";
}

# The server's own view.
select undef, undef, undef, 0.3;
my @events = read_events("$dir/events.log");
is scalar(grep { $_->{event_id} eq 'WEB_100034' && ($_->{IDENTIFIER} // '') eq $user } @events), 2, "two WEB_100034 for $user (the two codes typed)";
is scalar(grep { $_->{event_id} eq 'WEB_100019' && ($_->{IDENTIFIER} // '') eq $user } @events), 2, "two WEB_100019 for $user (the two completes)";
is scalar(grep { $_->{event_id} eq 'WEB_100020' && ($_->{IDENTIFIER} // '') eq $user && ($_->{reason} // '') eq 'invalid_otp' } @events), 1,
    'one WEB_100020 invalid_otp (the wrong code typed with JavaScript)';
unlike slurp("$dir/error_log"), qr/exit signal|internal error|Segmentation/, 'no crash, no internal error';
ok stop_standalone($dir), 'the server stops';
