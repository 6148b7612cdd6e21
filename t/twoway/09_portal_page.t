# The portal page (README "Two-way OTP API": GET on the portal location serves a small page,
# en/sv, with and without JavaScript; its form post carries a CSRF token bound to the portal
# user; posts another site sent are refused), driven over HTTP as a browser without JavaScript:
#  - GET: the page in English (and in Swedish with Accept-Language: sv), the user shown, the
#    code field, a CSRF token, a strict Content-Security-Policy, no caching, no framing;
#  - the form post of the client code: the page again, with the response, that completes the
#    flow for the portal user; a wrong code: the page with the error (en, sv);
#  - another portal user's CSRF token, a forged one, or Sec-Fetch-Site: cross-site: refused
#    (403 bad_origin) without touching the code, which then works with the right token.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(api_call new_client);
use TwoWayTest;

plan tests => 45;

my $tw = TwoWayTest->new(users => [qw(bella cyril)]);
$tw->start(ready => '/portal/connect-app',
           conf => [$tw->twoway_location('/twoway'), $tw->portal_location('/portal/connect-app')]);
my $base = $tw->base;
my $portal = "$base/portal/connect-app";

sub browser {
    my ($user, %headers) = @_;
    my $ua = new_client();
    $ua->default_header(Authorization => $tw->basic($user), %headers);
    return $ua;
}
sub init { my ($res, $b) = $tw->init; return @$b{qw(flow data)} }
sub status_text { my ($html) = @_; return ($html =~ m{<div id="twoway-status"[^>]*>([^<]*)</div>})[0] }
sub response_of { my ($html) = @_; return ($html =~ m{<p id="twoway-response" class="status status-ok">([^<]*)</p>})[0] }
sub csrf_of { my ($html) = @_; return ($html =~ m{<input type="hidden" name="csrf" value="([^"]+)">})[0] }

# ---- the page ----------------------------------------------------------------------------------
my $bella = browser('bella');
my $res = $bella->get($portal);
is $res->code, 200, 'GET on the portal as bella: 200';
like $res->header('Content-Type') // '', qr{^text/html; charset=utf-8}i, '... HTML, UTF-8';
my $html = $res->content;
like $html, qr{<html lang="en"}, '... <html lang="en">';
like $html, qr{<title>Connect your app</title>}, '... "Connect your app"';
like $html, qr{id="twoway-user"[^>]*>[^<]*bella}, '... shows the portal user, bella';
like $html, qr{<form id="twoway-form" method="post" action="/portal/connect-app"}, '... a form posting to the page itself';
like $html, qr{<input type="text" id="twoway-code" name="data"[^>]* autocomplete="off"}, '... the code field (data)';
my $csrf = csrf_of($html);
like $csrf // '', qr/^\S{16,}$/, '... a CSRF token';
like $html, qr{<section id="twoway-result"[^>]* hidden>}, '... no response shown yet';
like $html, qr{<script>}, '... the script (for JavaScript)';
unlike $html, qr{<script[^>]+src=|<link[^>]+href=|https?://}, '... no external resources';
my $csp = $res->header('Content-Security-Policy') // '';
like $csp, qr/default-src 'none'/, "... CSP default-src 'none'";
unlike $csp, qr/unsafe-inline|unsafe-eval/, '... no unsafe-inline or unsafe-eval';
like $csp, qr/frame-ancestors 'none'/, "... frame-ancestors 'none'";
like $res->header('Cache-Control') // '', qr/no-store/, '... Cache-Control: no-store';
unlike $html, qr/twoway\.|\{\{/, '... no raw translation keys';

my $sv = browser('bella', 'Accept-Language' => 'sv');
$res = $sv->get($portal);
$html = $res->content;
is $res->code, 200, 'with Accept-Language: sv: 200';
is $res->header('Content-Language'), 'sv', '... Content-Language: sv';
like $html, qr{<html lang="sv"}, '... <html lang="sv">';
like $html, qr{<title>Koppla din app</title>}, '... "Koppla din app"';
unlike $html, qr{Connect your app|Enter the code that your app shows}, '... no English';

# ---- the form post ------------------------------------------------------------------------------
my ($flow, $code) = init();
$res = $bella->post($portal, [csrf => $csrf, data => $code]);
is $res->code, 200, 'the form post of the client code: 200';
like $res->header('Content-Type') // '', qr{^text/html}, '... the page';
$html = $res->content;
my $response = response_of($html) // '';
like $response, qr/^[0-9]{6}$/, "... showing the response ($response)";
like $html, qr{<section id="twoway-result"[^>]*>}, '... in the result section';
unlike $html, qr{<section id="twoway-result"[^>]* hidden>}, '... which is not hidden';
like $html, qr{<form id="twoway-form"[^>]* hidden>}, '... and the form is';
my ($r, $b) = $tw->complete($flow, $response);
is_deeply [$r->code, $b->{status}, $b->{user}], [200, 2000, 'bella'], '... complete with it: 200 2000 bella';

$res = $bella->post($portal, [csrf => $csrf, data => '000000' eq $code ? '111111' : '000000']);
is $res->code, 410, 'the form post of a wrong code: 410';
is status_text($res->content), 'The code is not valid or has expired. Start again in the app.', '... the page says so';
like $res->content, qr{<input type="text" id="twoway-code"[^>]* aria-invalid="true"}, '... the field is marked invalid';
$res = $sv->post($portal, [csrf => csrf_of($sv->get($portal)->content) // '', data => '000000' eq $code ? '111111' : '000000']);
is status_text($res->content), 'Koden är ogiltig eller har gått ut. Börja om i appen.', '... in Swedish with Accept-Language: sv';

# ---- CSRF --------------------------------------------------------------------------------------------
($flow, $code) = init();
my $cyril = browser('cyril');
my $cyril_csrf = csrf_of($cyril->get($portal)->content) // '';
isnt $cyril_csrf, $csrf, "cyril's page has another CSRF token than bella's";
$res = $cyril->post($portal, [csrf => $csrf, data => $code]);
is $res->code, 403, "cyril posts the code with bella's token: 403";
like $res->content, qr/"status":4000,"error":"bad_origin"/, '... bad_origin';
$res = $bella->post($portal, [csrf => $csrf . 'x', data => $code]);
is $res->code, 403, 'a tampered token: 403';
$res = $cyril->post($portal, [csrf => $cyril_csrf, data => $code], 'Sec-Fetch-Site' => 'cross-site');
is $res->code, 403, 'the right token, but Sec-Fetch-Site: cross-site: 403';
$res = $cyril->post($portal, [csrf => $cyril_csrf, data => $code], Origin => 'https://evil.example');
is $res->code, 403, '... or a foreign Origin: 403';
$res = $cyril->post($portal, [csrf => $cyril_csrf, data => $code], Origin => $base, 'Sec-Fetch-Site' => 'same-origin');
is $res->code, 200, "cyril with his own token from the same origin: 200 (the refusals left the code alone)";
$response = response_of($res->content) // '';
($r, $b) = $tw->complete($flow, $response);
is_deeply [$r->code, $b->{user}], [200, 'cyril'], '... it completes for cyril';

# ---- JSON from the page's script --------------------------------------------------------------------
($flow, $code) = init();
($r, $b) = api_call($portal, {data => $code},
                    headers => {Authorization => $tw->basic('bella'), Origin => $base,
                                'Sec-Fetch-Site' => 'same-origin', Accept => 'application/json'});
is_deeply [$r->code, $b && $b->{status}], [200, 2000], 'a same-origin JSON post (as the script sends): 200 2000';
($r, $b) = $tw->complete($flow, $b ? $b->{data} : '');
is_deeply [$r->code, $b->{user}], [200, 'bella'], '... completes for bella';

my $log = $tw->error_log;
unlike $log, qr/exit signal|internal error|Segmentation/, 'no crash, no internal error';
ok !grep({ index($log, $_) >= 0 } $csrf, $cyril_csrf), 'no CSRF token in the error log';
ok $tw->stop, 'the server stops';
