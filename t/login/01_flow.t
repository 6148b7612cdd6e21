# The interactive login end to end: page, JSON and form start, session cookie, redirect to
# the original URL, r->user and OTP_USER; Require otp after Basic without a second password
# dialog; logout.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use HTTP::Request::Common qw(GET POST);
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp new_client start_json url_of wait_for_fresh_step);

plan tests => 43;

wait_for_fresh_step();

# ---- AuthType OTP, JSON path -------------------------------------------------------------
my $ua = new_client();
my $page = $ua->get(url_of('/app/reports.txt?year=2026'));
is $page->code, 401, 'no session: 401';
is $page->header('Content-Type'), 'text/html; charset=utf-8', 'the OTP page';
is $page->header('Cache-Control'), 'no-store', 'not cached';
ok !$page->header('WWW-Authenticate'), 'no Basic challenge';
like $page->content, qr/autocomplete="one-time-code"/, 'one-time-code input';
like $page->content, qr/name="user"/, 'AuthType OTP asks for the user name';
like $page->content, qr/One-time password/, 'English by default';
like $page->header('Set-Cookie') // '', qr/otp_session_attempt=[^;]+;.*Path=\/app/i,
    'attempt cookie scoped to the location';

my $json_probe = $ua->get(url_of('/app/reports.txt'), Accept => 'application/json');
is $json_probe->code, 401, 'JSON client: 401';
is $json_probe->content, '{"status":"OTP_REQUIRED","start":"/app/.otp/start"}',
    'JSON client: OTP_REQUIRED with the start path';

my ($res, $body) = start_json($ua, '/app/.otp/start', {user => 'lucy', otp => totp('lucy', 0)});
is $res->code, 200, 'right code: 200';
is_deeply $body, {status => 'COMPLETED', redirect => '/app/reports.txt'},
    'COMPLETED with the original path';
is $res->header('Content-Type'), 'application/json', 'JSON answer';
my ($session_cookie) = grep { /^otp_session=/ } $res->header('Set-Cookie');
ok $session_cookie, 'session cookie set';
like $session_cookie, qr/HttpOnly/i, 'HttpOnly';
like $session_cookie, qr/SameSite=Lax/i, 'SameSite=Lax';
like $session_cookie, qr/Path=\/app(;|$)/i, 'Path is the location';
unlike $session_cookie, qr/Secure/i, 'not Secure over plain HTTP';

my $content = $ua->get(url_of('/app/reports.txt'));
is $content->code, 200, 'with the session: the content';
is $content->content, "quarterly reports\n", 'protected content';
is $content->header('X-OTP-User'), 'lucy', 'OTP_USER set';
like $content->header('X-OTP-Auth-Time') // '', qr/^\d{10}$/, 'OTP_AUTH_TIME set';

# ---- AuthType OTP, form path (no JavaScript) ---------------------------------------------
my $form_ua = new_client();
$page = $form_ua->get(url_of('/app/'));
my ($csrf) = $page->content =~ /name="csrf" value="([^"]+)"/;
ok $csrf, 'the page carries a CSRF token';
my ($action) = $page->content =~ /<form[^>]*action="([^"]+)"/;
like $action, qr{^\.otp/start(\?|$)}, 'the form posts to the relative start endpoint';
wait_for_fresh_step();
my $wrong = $form_ua->request(POST url_of('/app/.otp/start'),
    [user => 'lucy', otp => '000000', csrf => $csrf]);
is $wrong->code, 401, 'form, wrong code: the page again';
like $wrong->content, qr/Wrong one-time password/, '... with the error message';
my $ok = $form_ua->request(POST url_of('/app/.otp/start'),
    [user => 'lucy', otp => totp('lucy', 1), csrf => $csrf]);   # newer than the JSON login's
is $ok->code, 303, 'form, right code: 303';
is $ok->header('Location'), '/app/', '... to the original path';
is $form_ua->get(url_of('/app/'))->code, 200, 'form login works';

# ---- logout ----------------------------------------------------------------------------
my $logout = $ua->get(url_of('/app/.otp/logout'));
is $logout->code, 303, 'logout redirects';
like join(' ', $logout->header('Set-Cookie')), qr/otp_session=;|otp_session=[^;]*;.*Max-Age=0/i,
    'logout clears the cookie';
is $ua->get(url_of('/app/reports.txt'))->code, 401, 'after logout: the page again';

# ---- Require otp after Basic ----------------------------------------------------------------
my $admin = new_client();
my $no_basic = $admin->get(url_of('/admin/'));
is $no_basic->code, 401, 'no first factor: 401';
like $no_basic->header('WWW-Authenticate') // '', qr/^Basic/, 'the first factor asks (Basic)';

my $second = $admin->request(GET url_of('/admin/'),
    Authorization => 'Basic ' . MIME::Base64::encode_base64('ada:first-factor-pw', ''));
is $second->code, 401, 'first factor passed: the OTP page';
ok !$second->header('WWW-Authenticate'), 'no second Basic password dialog';
like $second->content, qr/autocomplete="one-time-code"/, 'the OTP page';
unlike $second->content, qr/name="user"/, 'Require otp asks for the code only';

($res, $body) = start_json($admin, '/admin/.otp/start', {otp => totp('ada', 0)},
                           basic => ['ada', 'first-factor-pw']);
is $res->code, 200, 'second factor accepted';
is $body->{redirect}, '/admin/', 'redirect to the original path';
my $in = $admin->request(GET url_of('/admin/'),
    Authorization => 'Basic ' . MIME::Base64::encode_base64('ada:first-factor-pw', ''));
is $in->code, 200, 'Basic + OTP session: the content';

($res) = start_json($admin, '/admin/.otp/start', {otp => totp('ada', 0)});
is $res->code, 401, 'the start endpoint still needs the first factor';
like $res->header('WWW-Authenticate') // '', qr/^Basic/, '... which asks for it';

use MIME::Base64 ();
