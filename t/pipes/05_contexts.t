# Delivered codes and exec pipes in every kind of section: <Location>, <Directory>, .htaccess
# (AllowOverride AuthConfig) and a virtual host with an OTPPipe of its own. A code sent in one
# virtual host never logs in at another (its hash is keyed by the host's own key), and an
# .htaccess naming an OTPPipe the server does not define is refused per request.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP;
use HTTP::Request;
use Time::HiRes qw(sleep);
use OTPTest qw(write_files slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client);

plan tests => 16;

my $dir = standalone_dir();
my $port = free_port();
my $sender = "$FindBin::Bin/../bin/otp-test-sender";
my $validator = "$FindBin::Bin/../bin/otp-test-validator";
write_files($dir,
    'users.oath' => join('', map { "HOTP/T30 $_ - 3132333435363738393031323334353637383930\n" } qw(ann ben cid dee fay)),
    'htdocs/loc/index.html' => "inside loc\n",
    'htdocs/dir/index.html' => "inside dir\n",
    'htdocs/hta/index.html' => "inside hta\n",
    'htdocs/hta/.htaccess' => "AuthType OTP\nAuthName \"Hta\"\nOTPUsersFile $dir/users.oath\nOTPValidationPipe delivered\nOTPPrePipe main_sender\nRequire valid-user\n",
    'htdocs/bad/index.html' => "inside bad\n",
    'htdocs/bad/.htaccess' => "AuthType OTP\nAuthName \"Bad\"\nOTPValidationPipe nosuch\nRequire valid-user\n",
    'vhost/vloc/index.html' => "inside vhost\n",
    'vhost/vexec/index.html' => "inside vexec\n");
write_standalone_conf(dir => $dir, port => $port, body => <<"END");
DocumentRoot "$dir/htdocs"
OTPAddressLockout off
OTPPipe main_sender exec $sender $dir/sent-main.jsonl
<Location /loc>
    AuthType OTP
    AuthName "Loc"
    OTPUsersFile "$dir/users.oath"
    OTPValidationPipe delivered
    OTPPrePipe main_sender
    Require valid-user
</Location>
<Directory "$dir/htdocs/dir">
    AuthType OTP
    AuthName "Dir"
    OTPUsersFile "$dir/users.oath"
    OTPValidationPipe delivered
    OTPPrePipe main_sender
    Require valid-user
</Directory>
<Directory "$dir/htdocs">
    AllowOverride AuthConfig
</Directory>
<VirtualHost 127.0.0.1:$port>
    ServerName other.test
    DocumentRoot "$dir/vhost"
    OTPPipe vhost_sender exec $sender $dir/sent-vhost.jsonl
    OTPPipe vhost_check exec $validator accept 135791
    <Location /vloc>
        AuthType OTP
        AuthName "Loc"
        OTPUsersFile "$dir/users.oath"
        OTPValidationPipe delivered
        OTPPrePipe vhost_sender
        Require valid-user
    </Location>
    <Location /vexec>
        AuthType OTP
        AuthName "Vexec"
        OTPValidationPipe vhost_check
        Require valid-user
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:$port>
    ServerName main.test
    DocumentRoot "$dir/htdocs"
</VirtualHost>
END
my $base = "http://127.0.0.1:$port";

sub post {
    my ($ua, $host, $path, $body) = @_;
    my $req = HTTP::Request->new(POST => "$base$path");
    $req->header(Host => $host, 'Content-Type' => 'application/json', Accept => 'application/json');
    $req->content(encode_json($body));
    my $res = $ua->request($req);
    return ($res->code, eval { decode_json($res->content) } // {});
}
sub get { my ($ua, $host, $path) = @_; my $req = HTTP::Request->new(GET => "$base$path"); $req->header(Host => $host, Accept => 'text/html'); return $ua->request($req)->code }
sub sent_to {
    my ($file, $user) = @_;
    for (1 .. 50) {
        my ($code) = map { $_->{otp} } grep { $_->{user} eq $user } map { decode_json($_) } grep { /\S/ } split /\n/, slurp($file);
        return $code if $code;
        sleep 0.1;
    }
    return undef;
}
# Send a code for `user` at `path` of `host`, read what the sender got, log in with it.
sub login_with_sent_code {
    my ($host, $path, $user, $file) = @_;
    my $ua = new_client();
    my ($status) = post($ua, $host, "$path/.otp/start", {type => 'send', data => {user => $user}});
    return "send $status" unless $status == 200;
    my $code = sent_to($file, $user) // return 'nothing sent';
    ($status) = post($ua, $host, "$path/.otp/start", {type => 'start', data => {user => $user, otp => $code}});
    return "start $status" unless $status == 200;
    return wantarray ? (get($ua, $host, "$path/index.html"), $ua) : get($ua, $host, "$path/index.html");
}

# The first virtual host of the address is the default one: other.test.
start_standalone($dir, new_client(), "$base/vloc/index.html");
my ($loc_status, $ann) = login_with_sent_code('main.test', '/loc', 'ann', "$dir/sent-main.jsonl");
is $loc_status, 200, '<Location>: logged in with the sent code';
is login_with_sent_code('main.test', '/dir', 'ben', "$dir/sent-main.jsonl"), 200, '<Directory>: logged in with the sent code';
is login_with_sent_code('main.test', '/hta', 'cid', "$dir/sent-main.jsonl"), 200, '.htaccess: logged in with the sent code';
is login_with_sent_code('other.test', '/vloc', 'dee', "$dir/sent-vhost.jsonl"), 200, 'virtual host: its own OTPPipe sent the code';
ok !sent_to("$dir/sent-main.jsonl", 'dee'), "... and not the main server's";

# A code sent in the virtual host does not log in at the main server's /loc (same users file,
# same user, another host's key), nor the other way round.
my $ua = new_client();
post($ua, 'other.test', '/vloc/.otp/start', {type => 'send', data => {user => 'fay'}});
my $vcode = sent_to("$dir/sent-vhost.jsonl", 'fay');
ok $vcode, 'the virtual host sent fay a code';
my ($status, $body) = post(new_client(), 'main.test', '/loc/.otp/start', {type => 'start', data => {user => 'fay', otp => $vcode // 'x'}});
is $status, 401, "the virtual host's code is refused at the main server";
is $body->{error}, 'invalid_otp', '... as a wrong code';

# The exec pipe of the virtual host decides there.
($status) = post(new_client(), 'other.test', '/vexec/.otp/start', {type => 'start', data => {user => 'eve', otp => '135791'}});
is $status, 200, "virtual host: its exec pipe accepts";
($status) = post(new_client(), 'other.test', '/vexec/.otp/start', {type => 'start', data => {user => 'eve', otp => '135792'}});
is $status, 401, '... and refuses';
# The main server has no OTPPipe vhost_check: a main-server section cannot use it.
is get(new_client(), 'main.test', '/vexec/index.html'), 404, "the main server has no /vexec";

# .htaccess naming an unknown OTPPipe: refused per request (500), with the reason logged.
is get(new_client(), 'main.test', '/bad/index.html'), 500, '.htaccess with an unknown OTPPipe: 500';
like slurp("$dir/error_log"), qr/OTPValidationPipe: 'nosuch' is neither totp, hotp, delivered nor an OTPPipe of this server/, '... and the error log says why';

# Realms: ann's session of /loc opens /loc, not /dir, and not /vloc of the virtual host.
is get($ann, 'main.test', '/loc/index.html'), 200, "ann's session opens /loc";
is get($ann, 'main.test', '/dir/index.html'), 401, '... not /dir';

ok stop_standalone($dir), 'httpd stopped';
