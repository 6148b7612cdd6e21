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
use FindBin;
use lib "$FindBin::Bin/../lib";
use BrowserTest qw(browser_plan results_dir run_browser_script check_screenshots);
use TwoWayTest;

my @shots = qw(portal-en-js.png portal-en-js-response.png portal-en-nojs.png portal-en-nojs-response.png portal-sv.png);
browser_plan(what => 'two-way portal test', tests => 13 + 2 * @shots, shots => \@shots);

my $user = 'bella';
my $tw = TwoWayTest->new(users => [$user]);
$tw->start(ready => '/portal/connect-app',
           conf => [$tw->twoway_location('/twoway'), $tw->portal_location('/portal/connect-app')]);

my @flows = map { ($tw->init)[1] } 1 .. 2;
ok +(grep { ($_->{status} // 0) == 2000 } @flows) == 2, 'two flows started (init 2000)';
my ($js, $nojs) = @flows;
my %live = map { ($_->{data} // '') => 1 } @flows;
my ($wrong) = grep { !$live{$_} } qw(000000 999999 555555);

my $output = run_browser_script('portal.mjs', 'the browser used the portal page with and without JavaScript, in en and sv',
                                '--base', $tw->base, '--path', '/portal/connect-app', '--out', results_dir(),
                                '--user', $user, '--password', $tw->password($user),
                                '--js-code', $js->{data} // '', '--nojs-code', $nojs->{data} // '', '--wrong-code', $wrong);

my ($response_js) = $output =~ /^# response-js: (\S+)$/m;
my ($response_nojs) = $output =~ /^# response-nojs: (\S+)$/m;
like $response_js // '', qr/^[0-9]{6}$/, 'with JavaScript the page showed a response';
like $response_nojs // '', qr/^[0-9]{6}$/, 'without JavaScript the page showed a response';
my ($res, $b) = $tw->complete($js->{flow}, $response_js // '');
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, $user], "complete with the response read with JavaScript: 200 2000 $user";
($res, $b) = $tw->complete($nojs->{flow}, $response_nojs // '');
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, $user], "complete with the response read without JavaScript: 200 2000 $user";

check_screenshots(@shots);

# The server's own view.
my @events = $tw->events;
is scalar(grep { $_->{event_id} eq 'WEB_100034' && ($_->{IDENTIFIER} // '') eq $user } @events), 2, "two WEB_100034 for $user (the two codes typed)";
is scalar(grep { $_->{event_id} eq 'WEB_100019' && ($_->{IDENTIFIER} // '') eq $user } @events), 2, "two WEB_100019 for $user (the two completes)";
is scalar(grep { $_->{event_id} eq 'WEB_100020' && ($_->{IDENTIFIER} // '') eq $user && ($_->{reason} // '') eq 'invalid_otp' } @events), 1,
    'one WEB_100020 invalid_otp (the wrong code typed with JavaScript)';
unlike $tw->error_log, qr/exit signal|internal error|Segmentation/, 'no crash, no internal error';
ok $tw->stop, 'the server stops';
