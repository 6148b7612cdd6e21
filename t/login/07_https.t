# Over HTTPS the session cookie is Secure, and named __Host-otp_session when its path is "/".
# Runs its own httpd with mod_ssl and a throw-away certificate, on a port it picks.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use JSON::PP;
use LWP::UserAgent;
use HTTP::Request;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp wait_for_fresh_step write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone %SECRET);

plan tests => 7;

my $modules = `apxs -q LIBEXECDIR`;
chomp $modules;
my $dir = standalone_dir();
my $port = free_port();
system('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj',
       '/CN=127.0.0.1', '-keyout', "$dir/key.pem", '-out', "$dir/cert.pem") == 0
    or die 'openssl req failed';
open my $u, '>', "$dir/users.oath" or die $!;
print $u "HOTP/T30 hana - $SECRET{alice}\nHOTP/T30 hugo - $SECRET{bob}\n";
close $u;
# The key stays owned by the user running the test (start_standalone gives $dir to the
# children's user, and mod_otp refuses a key file owned by anyone but root or its reader).
my $key_dir = standalone_dir();
open my $k, '>', "$key_dir/session.key" or die $!;
print $k unpack('H*', join '', map { chr int rand 256 } 1 .. 32), "\n";
close $k;
chmod 0600, "$key_dir/session.key";
mkdir "$dir/app";
open my $i, '>', "$dir/index.html" or die $!;
print $i "root\n";
close $i;
write_standalone_conf(dir => $dir, port => $port, body => <<"END");
LoadModule ssl_module $modules/mod_ssl.so
LoadModule alias_module $modules/mod_alias.so
SSLEngine on
SSLCertificateFile "$dir/cert.pem"
SSLCertificateKeyFile "$dir/key.pem"
DocumentRoot "$dir"
OTPSessionKeyFile "$key_dir/session.key"
<Location />
    AuthType OTP
    AuthName "root"
    OTPUsersFile "$dir/users.oath"
    Require valid-user
</Location>
Alias /app "$dir"
<Location /app>
    AuthType OTP
    AuthName "app"
    OTPUsersFile "$dir/users.oath"
    Require valid-user
</Location>
END
my $ua = LWP::UserAgent->new(timeout => 10, ssl_opts => {verify_hostname => 0, SSL_verify_mode => 0});
my $base = "https://127.0.0.1:$port";
start_standalone($dir, $ua, "$base/");

wait_for_fresh_step();
sub start {
    my ($path, $user, $secret) = @_;
    my $req = HTTP::Request->new(POST => "$base$path/.otp/start");
    $req->header('Content-Type' => 'application/json');
    $req->content(encode_json({type => 'start', data => {user => $user, otp => totp($secret, 0)}}));
    return $ua->request($req);
}
my $root = start('', 'hana', 'alice');
is $root->code, 200, 'login over HTTPS at /';
my ($root_cookie) = grep { /otp_session=/ && !/_attempt/ } $root->header('Set-Cookie');
like $root_cookie // '', qr/^__Host-otp_session=/, 'path "/": __Host- prefix';
like $root_cookie // '', qr/;\s*Secure/i, '... Secure';
like $root_cookie // '', qr/Path=\/(;|$)/i, '... Path=/';

my $app = start('/app', 'hugo', 'bob');
is $app->code, 200, 'login over HTTPS at /app';
my ($app_cookie) = grep { /otp_session=/ && !/_attempt/ } $app->header('Set-Cookie');
like $app_cookie // '', qr/^otp_session=.*;\s*Secure/i, 'path /app: Secure, no prefix';

ok stop_standalone($dir), 'server stopped';
