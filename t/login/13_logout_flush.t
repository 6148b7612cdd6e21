# Logout flushes every process's session cache only when it ends a live session (issue 8,
# point 4: "Any logout with an openable cookie (also an expired one, also cross-site by GET)
# flushes every process's session cache"). Each process keeps the sessions it verified for a
# few seconds (mod_otp/session/session_cache.h); a logout of a live session bumps the shared
# generation so that every process asks the store again, and says so in the error log at
# LogLevel otp:debug ("session caches of every process flushed"). A cookie that ended by
# time, a cookie of a session already logged out and a logout without any cookie have nothing
# cached to revoke: they must not flush (anyone could otherwise keep every process's cache
# empty, and every request on the store's mutex). A logout that another site makes (a
# cross-site link or form) is refused with 403 bad_origin, also with a live session's cookie.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use HTTP::Request;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp new_client start_json url_of wait_for_fresh_step server_log_since);

plan tests => 27;

my $flush_line = qr/logout: session ended, session caches of every process flushed/;

# The error log's size now, and the flush lines written since an earlier size.
sub log_end { my (undef, $end) = server_log_since(0); return $end }
sub flushes_since {
    my ($offset) = @_;
    my $text = server_log_since($offset);
    my @lines = grep { /$flush_line/ } split /\n/, $text;
    return scalar @lines;
}

sub login_at {
    my ($path, $offset_steps) = @_;
    my $ua = new_client();
    my ($res) = start_json($ua, "$path/.otp/start", {user => 'flo', otp => totp('flo', $offset_steps)});
    my ($cookie) = $ua->cookie_jar->as_string =~ /\botp_session=([^;]+)/;
    return ($ua, $res, $cookie);
}

sub clears_cookie {
    my ($res) = @_;
    return join(' ', $res->header('Set-Cookie')) =~ /otp_session=;|otp_session=[^;]*;.*Max-Age=0/i;
}

wait_for_fresh_step();
my $start = log_end();

# ---- a cookie that ended by time (/short: OTPSessionIdleTimeout 3) ---------------------------
my ($idle, $res, $idle_cookie) = login_at('/short', 0);
is $res->code, 200, '/short: logged in';
ok $idle_cookie, '... with a session cookie';
is $idle->get(url_of('/short/'))->code, 200, '... which opens /short';
sleep 4;
my $offset = log_end();
my $out = $idle->get(url_of('/short/.otp/logout'));
is $out->code, 303, 'logout with an idle session cookie: redirected';
ok clears_cookie($out), '... the cookie is cleared';
is flushes_since($offset), 0, '... and no session cache is flushed';

# ---- no cookie at all (a cross-site link, a crawler) ------------------------------------------
$offset = log_end();
$out = new_client()->get(url_of('/app/.otp/logout'), Referer => 'https://evil.example/',
                         'Sec-Fetch-Site' => 'cross-site');
is $out->code, 403, 'cross-site GET logout without a cookie: refused';
is flushes_since($offset), 0, '... and nothing is flushed';

# ---- a live session: logging out flushes, and the cookie is revoked everywhere ----------------
my ($live, $live_res, $live_cookie) = login_at('/app', 1);
is $live_res->code, 200, '/app: logged in';
ok $live_cookie, '... with a session cookie';
my $plain = new_client();
# Many requests on new connections, so that every process (prefork: 16 children) has
# verified the session and keeps it in its cache for the next few seconds.
my $rounds = 40;
my @before = map { $plain->get(url_of('/app/reports.txt'), Cookie => "otp_session=$live_cookie",
                               Connection => 'close')->code } 1 .. $rounds;
is_deeply \@before, [(200) x $rounds], "the cookie opens /app ($rounds requests, new connections)";

# Another site cannot log the user out: a cross-site link (GET) or form (POST with its Origin).
$offset = log_end();
$out = $plain->get(url_of('/app/.otp/logout'), Cookie => "otp_session=$live_cookie",
                   Referer => 'https://evil.example/', 'Sec-Fetch-Site' => 'cross-site');
is $out->code, 403, 'cross-site GET logout with the live cookie: refused';
ok !clears_cookie($out), '... the cookie is kept';
my $forged = HTTP::Request->new(POST => url_of('/app/.otp/logout'));
$forged->header(Cookie => "otp_session=$live_cookie", Origin => 'https://evil.example',
                Accept => 'application/json');
$out = $plain->request($forged);
is $out->code, 403, 'POST logout with another Origin and the live cookie: refused';
like $out->content, qr/"error":"bad_origin"/, '... error bad_origin';
is flushes_since($offset), 0, '... nothing is flushed';
is $plain->get(url_of('/app/reports.txt'), Cookie => "otp_session=$live_cookie")->code, 200,
    '... and the session still opens /app';

$offset = log_end();
$out = $live->get(url_of('/app/.otp/logout'));
is $out->code, 303, 'logout of the live session: redirected';
ok clears_cookie($out), '... the cookie is cleared';
is flushes_since($offset), 1, '... and every process\'s session cache is flushed, once';

my @after = map { $plain->get(url_of('/app/reports.txt'), Cookie => "otp_session=$live_cookie",
                              Connection => 'close')->code } 1 .. $rounds;
is_deeply \@after, [(401) x $rounds], 'the revoked cookie no longer opens /app, in any process';

# ---- the same cookie again, now of an ended session: cross-site GET and POST ------------------
$offset = log_end();
$out = $plain->get(url_of('/app/.otp/logout'), Cookie => "otp_session=$live_cookie",
                   Referer => 'https://evil.example/', 'Sec-Fetch-Site' => 'cross-site');
is $out->code, 403, 'cross-site GET logout with a logged-out session\'s cookie: refused';
is flushes_since($offset), 0, '... and nothing is flushed';
$offset = log_end();
my $req = HTTP::Request->new(POST => url_of('/app/.otp/logout'));
$req->header(Cookie => "otp_session=$live_cookie");
$req->header(Accept => 'application/json');
$out = $plain->request($req);
is $out->code, 200, 'POST logout with that cookie: 200';
is flushes_since($offset), 0, '... and nothing is flushed';

# ---- the idle cookie, sent again, still flushes nothing ----------------------------------------
$offset = log_end();
$out = $plain->get(url_of('/short/.otp/logout'), Cookie => "otp_session=$idle_cookie");
is flushes_since($offset), 0, 'logout with the idle cookie again: nothing flushed';

is flushes_since($start), 1, 'one flush in all: the live session\'s logout';
