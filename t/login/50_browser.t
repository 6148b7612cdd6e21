# A real browser: Debian's chromium, headless, driven by t/browser/login.mjs (playwright-core)
# opens /app/, types the user name and a code from oathtool, submits and must see the protected
# content; once with JavaScript (bea, JSON endpoint) and once without (nils, form post). It also
# renders the page in Swedish, and logs in with delivered codes (user name, "Send code", the code
# the test sender got) with and without JavaScript. Screenshots go to t/results/browser/ (test artifacts).
# Skipped, loudly, only when /usr/bin/chromium is missing (scripts/ensure-deps.sh installs it).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Spec;
use FindBin;
use lib "$FindBin::Bin/../lib";
use BrowserTest qw(browser_plan results_dir run_browser_script check_screenshots);
use OTPTest qw(totp url_of wait_for_fresh_step);

my @shots = qw(otp-en-js.png otp-en-nojs.png otp-sv.png);
browser_plan(what => 'login test', tests => 4 + 2 * @shots, shots => \@shots, old => ['otp-en-js-verified.png']);

my $access_log = File::Spec->catfile($FindBin::Bin, '..', 'logs', 'otp_access.log');
my $log_offset = -s $access_log // 0;

# The server accepts one step either side, so these codes stay good for the whole run.
wait_for_fresh_step();
my $js_code = totp('bea', 0);
my $nojs_code = totp('nils', 0);
my $base = url_of('/');

run_browser_script('login.mjs', 'the browser logged in with and without JavaScript, in en and sv',
                   '--base', $base, '--out', results_dir(), '--js-user', 'bea', '--js-code', $js_code,
                   '--nojs-user', 'nils', '--nojs-code', $nojs_code,
                   '--delivered-path', '/delivered/index.html',
                   '--sent-file', File::Spec->catfile($FindBin::Bin, '..', 'var', 'sent-codes.jsonl'),
                   '--delivered-js-user', 'dana', '--delivered-nojs-user', 'dirk');
check_screenshots(@shots);

# The server's own view: both users got /app/ after logging in.
my $log = '';
if (open my $alog, '<', $access_log) { seek $alog, $log_offset, 0; local $/; $log = <$alog> // '' }
ok $log =~ m{^\S+ bea "GET /app/ HTTP/1\.1" 200$}m && $log =~ m{^\S+ nils "GET /app/ HTTP/1\.1" 200$}m,
    'the server logged bea and nils receiving /app/ (200, r->user set)'
    or diag "access log since the start of this test:\n$log";
