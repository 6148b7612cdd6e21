package BrowserTest;
# Shared pieces of the real-browser tests (t/login/50_browser.t, t/twoway/50_browser.t):
# Debian's chromium, headless, driven by a script in t/browser/ (playwright-core) run with node;
# screenshots go to t/results/browser/ (test artifacts).
#
#   browser_plan(what => 'login test', tests => 4 + 2 * @shots, shots => \@shots);
#   my $output = run_browser_script('login.mjs', 'the browser logged in ...', @args);
#   check_screenshots(@shots);
use strict;
use warnings FATAL => 'all';

# plan as the test files have it (Test::More's, with Apache::Test's set-up of the output).
use Apache::Test qw(-withtestmore);
use Exporter 'import';
use File::Path qw(make_path);
use File::Spec;
use FindBin;

our @EXPORT_OK = qw(browser_dir results_dir browser_plan run_browser_script check_screenshots);

my $chromium = $ENV{CHROMIUM_PATH} // '/usr/bin/chromium';

sub browser_dir { File::Spec->catdir($FindBin::Bin, '..', 'browser') }
sub results_dir { File::Spec->catdir($FindBin::Bin, '..', 'results', 'browser') }

# Skips the test file, loudly, when chromium is missing (naming `what`: the real-browser
# <what> did NOT run); else plans `tests` checks, of which the first is that playwright-core
# is installed in t/browser/node_modules (npm ci when it is missing; without it the others
# fail and the test exits). Then removes the `shots` (and `old` files) left in the results
# directory by an earlier run.
sub browser_plan {
    my (%opt) = @_;
    unless (-x $chromium) {
        my $bar = '!' x 78;
        diag "\n$bar\n!!! BROWSER TEST SKIPPED: $chromium is not installed.\n"
           . "!!! The real-browser $opt{what} did NOT run. Install it: apt-get install chromium\n"
           . "!!! (scripts/ensure-deps.sh test does that).\n$bar";
        plan skip_all => "$chromium is not installed (apt-get install chromium)";
    }

    plan tests => $opt{tests};

    # playwright-core, from t/browser/package-lock.json (scripts/run-e2e-tests.sh normally did this).
    my $browser_dir = browser_dir();
    unless (-d File::Spec->catdir($browser_dir, 'node_modules', 'playwright-core')) {
        diag "t/browser/node_modules missing: npm ci in $browser_dir";
        system('sh', '-c', 'cd "$1" && npm ci --no-audit --no-fund >&2', 'npm-ci', $browser_dir);
    }
    unless (ok -d File::Spec->catdir($browser_dir, 'node_modules', 'playwright-core'),
            'playwright-core installed in t/browser/node_modules') {
        fail "not run: no playwright-core (npm ci in t/browser)" for 1 .. $opt{tests} - 1;
        exit 1;
    }

    my $out_dir = results_dir();
    make_path($out_dir);
    unlink map { File::Spec->catfile($out_dir, $_) } @{ $opt{shots} // [] }, @{ $opt{old} // [] };
}

# Runs `node t/browser/<script> args` (at most 180 s), its lines shown as notes (failures as
# diagnostics); checks that it exited 0, saying `what` it did, and that every check in it
# passed. Returns its output.
sub run_browser_script {
    my ($script, $what, @args) = @_;
    my $started = time;
    my @cmd = ('node', File::Spec->catfile(browser_dir(), $script), @args);
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
    is $status, 0, "$what ($script)"
        or diag "$script exit status " . ($status >> 8) . ", signal " . ($status & 127);
    ok $output !~ /^not ok\b/m && $output =~ /^# all checks passed/m, "every check in $script passed";
    note sprintf 'browser run took %d s', time - $started;
    return $output;
}

# Two checks a screenshot: saved in the results directory, not empty, and a PNG.
sub check_screenshots {
    my (@shots) = @_;
    for my $shot (@shots) {
        my $path = File::Spec->catfile(results_dir(), $shot);
        ok -s $path, "$shot saved, not empty";
        my $magic = '';
        if (open my $png, '<:raw', $path) { read $png, $magic, 8; close $png }
        is unpack('H*', $magic), '89504e470d0a1a0a', "$shot is a PNG";
    }
}

1;
