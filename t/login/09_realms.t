# A session opens only in the realm that made it, and one browser holds sessions of several
# realms at once: <Location>s with and without OTP* directives of their own, <Directory>
# sections with two users files, .htaccess with and without OTP* directives, two virtual hosts
# sharing location, users file and key, and SPEC §2's own example (log in at /app, then at a
# Require otp location, and both keep working).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use FindBin;
use lib "$FindBin::Bin/../lib";
use MIME::Base64 ();
use OTPTest qw(totp new_client start_json url_of wait_for_fresh_step);

plan tests => 20;

wait_for_fresh_step(30, 10);
# Logs `user` in at `path` with a fresh client (or `ua`); returns the client and the session
# cookie's value.
sub login_at {
    my ($path, $user, %opt) = @_;
    my $ua = $opt{ua} // new_client();
    my ($res) = start_json($ua, "$path/.otp/start",
                           {user => $user, otp => totp($user, $opt{next_step} ? 1 : 0)});
    return ($ua, $res);
}

sub session_cookie_of {
    my ($ua, $path) = @_;
    my $found;
    $ua->cookie_jar->scan(sub {
        my (undef, $name, $value, $cookie_path) = @_;
        $found = $value if $name eq 'otp_session' && $cookie_path eq $path;
    });
    return $found;
}

# ---- <Location>s without OTP* directives of their own ------------------------------------
my ($zone, $res) = login_at('/zones/a', 'zara');
is $res->code, 200, 'zara logs in at /zones/a';
my $cookie = session_cookie_of($zone, '/zones/a');
ok $cookie, 'the session cookie has Path=/zones/a (the section, not /)';
is $zone->get(url_of('/zones/a/'))->code, 200, '... and opens /zones/a';
is new_client()->get(url_of('/zones/b/'), Cookie => "otp_session=$cookie")->code, 401,
    'the /zones/a cookie does not open /zones/b';

# ---- <Directory> sections with different users files -------------------------------------
my ($dir) = login_at('/dir1', 'zeke');
my $dir_cookie = session_cookie_of($dir, '/dir1/') // session_cookie_of($dir, '/dir1');
ok $dir_cookie, 'the <Directory> session cookie has the URL path of the directory'
    or diag $dir->cookie_jar->as_string;
is $dir->get(url_of('/dir1/'))->code, 200, 'zeke opens /dir1';
is new_client()->get(url_of('/dir2/'), Cookie => "otp_session=$dir_cookie")->code, 401,
    "the /dir1 cookie does not open /dir2 (another users file, where zeke does not exist)";

# ---- .htaccess, with and without OTP* directives of its own ------------------------------
my ($hta) = login_at('/hta1', 'zoe');
my $hta_cookie = session_cookie_of($hta, '/hta1/') // session_cookie_of($hta, '/hta1');
ok $hta_cookie, '.htaccess realm: a session cookie for /hta1'
    or diag $hta->cookie_jar->as_string;
is $hta->get(url_of('/hta1/'))->code, 200, 'it opens /hta1';
is new_client()->get(url_of('/hta2/'), Cookie => "otp_session=$hta_cookie")->code, 401,
    'the /hta1 cookie does not open /hta2';
my ($hta2, $res2) = login_at('/hta2', 'zoe', next_step => 1);
is $res2->code, 200, 'a login at /hta2 (no OTP* directive there) works';

# ---- two virtual hosts: same location, users file and key --------------------------------
my %cookie_of;
for my $vhost (qw(otp_vhost_a otp_vhost_b)) {
    Apache::TestRequest::module($vhost);
    my $base = 'http://' . Apache::TestRequest::hostport();
    my $ua = new_client();
    my ($r) = start_json($ua, "$base/v/.otp/start", {user => 'yuri', otp => totp('yuri', 0)})
        if $vhost eq 'otp_vhost_a';
    if ($vhost eq 'otp_vhost_a') {
        is $r->code, 200, 'yuri logs in on the first virtual host';
        $ua->cookie_jar->scan(sub { $cookie_of{a} = $_[2] if $_[1] eq 'otp_session' });
        is $ua->get("$base/v/")->code, 200, '... and opens its /v';
    } else {
        is $ua->get("$base/v/", Cookie => "otp_session=$cookie_of{a}")->code, 401,
            "the first virtual host's cookie does not open the second's /v";
    }
}
Apache::TestRequest::module('default');

# ---- SPEC §2: /app then a Require otp location; both keep working ------------------------
my $browser = new_client();
login_at('/app', 'zack', ua => $browser);
is $browser->get(url_of('/app/'))->code, 200, 'logged in at /app';
my $second = $browser->get(url_of('/second/'), Authorization => 'Basic ' . MIME::Base64::encode_base64('adam:first-factor-pw', ''));
is $second->code, 401, '/second asks for the code';
my ($sres) = start_json($browser, '/second/.otp/start', {otp => totp('adam', 0)},
                        basic => ['adam', 'first-factor-pw']);
is $sres->code, 200, 'the second factor at /second';
my $again = $browser->request(do {
    my $req = HTTP::Request->new(GET => url_of('/second/'));
    $req->authorization_basic('adam', 'first-factor-pw');
    $req;
});
is $again->code, 200, '/second works with its session';
is $browser->get(url_of('/app/'))->code, 200, '/app still works: both sessions coexist';
ok session_cookie_of($browser, '/app') && session_cookie_of($browser, '/second'),
    'two cookies, one per realm path';
