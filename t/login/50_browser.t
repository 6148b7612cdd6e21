# A real browser: Debian's chromium, headless, driven by t/browser/login.mjs (playwright-core)
# opens /app/, types the user name and a code from oathtool, submits and must see the protected
# content; once with JavaScript (bea, JSON endpoint) and once without (nils, form post). It also
# renders the page in Swedish, and logs in with delivered codes (user name, "Send code", the code
# the test sender got) with and without JavaScript. Screenshots go to t/results/browser/ (test artifacts).
# Skipped, loudly, only when /usr/bin/chromium is missing (scripts/ensure-deps.sh installs it).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use File::Spec;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp url_of wait_for_fresh_step);

my $chromium = $ENV{CHROMIUM_PATH} // '/usr/bin/chromium';
my $browser_dir = File::Spec->catdir($FindBin::Bin, '..', 'browser');
my $out_dir = File::Spec->catdir($FindBin::Bin, '..', 'results', 'browser');
my @shots = qw(otp-en-js.png otp-en-nojs.png otp-sv.png);

unless (-x $chromium) {
    my $bar = '!' x 78;
    diag "\n$bar\n!!! BROWSER TEST SKIPPED: $chromium is not installed.\n"
       . "!!! The real-browser login test did NOT run. Install it: apt-get install chromium\n"
       . "!!! (scripts/ensure-deps.sh test does that).\n$bar";
    plan skip_all => "$chromium is not installed (apt-get install chromium)";
}

plan tests => 4 + 2 * @shots;

# playwright-core, from t/browser/package-lock.json (scripts/run-e2e-tests.sh normally did this).
unless (-d File::Spec->catdir($browser_dir, 'node_modules', 'playwright-core')) {
    diag "t/browser/node_modules missing: npm ci in $browser_dir";
    system('sh', '-c', 'cd "$1" && npm ci --no-audit --no-fund >&2', 'npm-ci', $browser_dir);
}
unless (ok -d File::Spec->catdir($browser_dir, 'node_modules', 'playwright-core'),
        'playwright-core installed in t/browser/node_modules') {
    fail "not run: no playwright-core (npm ci in t/browser)" for 1 .. 3 + 2 * @shots;
    exit 1;
}

make_path($out_dir);
unlink map { File::Spec->catfile($out_dir, $_) } @shots, 'otp-en-js-verified.png';

my $access_log = File::Spec->catfile($FindBin::Bin, '..', 'logs', 'otp_access.log');
my $log_offset = -s $access_log // 0;

# The server accepts one step either side, so these codes stay good for the whole run.
wait_for_fresh_step();
my $js_code = totp('bea', 0);
my $nojs_code = totp('nils', 0);
my $base = url_of('/');

my $started = time;
my @cmd = ('node', File::Spec->catfile($browser_dir, 'login.mjs'), '--base', $base,
           '--out', $out_dir, '--js-user', 'bea', '--js-code', $js_code,
           '--nojs-user', 'nils', '--nojs-code', $nojs_code,
           '--delivered-path', '/delivered/index.html',
           '--sent-file', File::Spec->catfile($FindBin::Bin, '..', 'var', 'sent-codes.jsonl'),
           '--delivered-js-user', 'dana', '--delivered-nojs-user', 'dirk');
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
is $status, 0, 'the browser logged in with and without JavaScript, in en and sv (login.mjs)'
    or diag "login.mjs exit status " . ($status >> 8) . ", signal " . ($status & 127);
ok $output !~ /^not ok\b/m && $output =~ /^# all checks passed/m, 'every check in login.mjs passed';
note sprintf 'browser run took %d s', time - $started;

for my $shot (@shots) {
    my $path = File::Spec->catfile($out_dir, $shot);
    ok -s $path, "$shot saved, not empty";
    my $magic = '';
    if (open my $png, '<:raw', $path) { read $png, $magic, 8; close $png }
    is unpack('H*', $magic), '89504e470d0a1a0a', "$shot is a PNG";
}

# The server's own view: both users got /app/ after logging in.
my $log = '';
if (open my $alog, '<', $access_log) { seek $alog, $log_offset, 0; local $/; $log = <$alog> // '' }
ok $log =~ m{^\S+ bea "GET /app/ HTTP/1\.1" 200$}m && $log =~ m{^\S+ nils "GET /app/ HTTP/1\.1" 200$}m,
    'the server logged bea and nils receiving /app/ (200, r->user set)'
    or diag "access log since the start of this test:\n$log";
