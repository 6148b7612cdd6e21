# Paths an attacker may control: a FIFO named by OTPSessionKeyFile or OTPPageTemplate must fail
# `apachectl configtest` at once ("not a regular file") instead of hanging it, and one named in an
# .htaccess file must not block a worker; a users file with a NUL byte in a line and a key file
# others may read are configuration errors; OTPTranslations and OTPUsersFile in .htaccess files
# are bounded per process (64 directories, 256 users files), beyond which a request gets a 500
# and the server goes on serving.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use POSIX qw(mkfifo);
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(write_standalone_conf standalone_dir free_port start_standalone stop_standalone
               new_client %SECRET);

plan tests => 20;

my $httpd = Apache::Test::vars('httpd');

# ---- configtest --------------------------------------------------------------------------
my $dir = standalone_dir();
sub write_text {
    my ($path, $text, $mode) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
    chmod $mode, $path if defined $mode;
}
write_text("$dir/users.oath", "HOTP/T30 alice - $SECRET{alice}\n");
write_text("$dir/session.key", unpack('H*', join '', map { chr int rand 256 } 1 .. 32) . "\n",
           0600);
mkfifo("$dir/fifo", 0600) or die "mkfifo: $!";

# Runs configtest under `timeout 10`, so a regression fails instead of hanging the suite.
sub configtest {
    my ($server, $location) = @_;
    write_standalone_conf(dir => $dir, port => 1, body => <<"END");
$server
<Location /app>
    AuthType OTP
    AuthName "app"
    OTPUsersFile "$dir/users.oath"
    $location
    Require valid-user
</Location>
END
    my $out = `timeout 10 $httpd -t -f "$dir/httpd.conf" 2>&1`;
    return ($? >> 8, $out);
}

my ($status, $out) = configtest(qq{OTPSessionKeyFile "$dir/session.key"}, '');
is $status, 0, 'a good configuration with a 0600 key file passes' or diag $out;

($status, $out) = configtest(qq{OTPSessionKeyFile "$dir/fifo"}, '');
isnt $status, 124, 'OTPSessionKeyFile naming a FIFO does not hang configtest';
isnt $status, 0, '... and fails it';
like $out, qr{OTPSessionKeyFile: \Q$dir\E/fifo: not a regular file}, '... saying why';

($status, $out) = configtest('', qq{OTPPageTemplate "$dir/fifo"});
isnt $status, 124, 'OTPPageTemplate naming a FIFO does not hang configtest';
isnt $status, 0, '... and fails it';
like $out, qr{OTPPageTemplate: \Q$dir\E/fifo: not a regular file}, '... saying why';

chmod 0640, "$dir/session.key";
($status, $out) = configtest(qq{OTPSessionKeyFile "$dir/session.key"}, '');
like $out, qr{session\.key: is readable by its group .*chmod 0600},
    'a group-readable key file fails configtest, naming the fix';
chmod 0600, "$dir/session.key";

write_text("$dir/users.oath", "HOTP/T30 alice - $SECRET{alice}\nHOTP/T30 a\0b - $SECRET{bob}\n");
($status, $out) = configtest('', '');
isnt $status, 0, 'a NUL byte in a users-file line fails configtest';
like $out, qr{users\.oath:2: NUL byte}, '... naming file and line';
write_text("$dir/users.oath", "HOTP/T30 alice - $SECRET{alice}\n");

# ---- .htaccess in a running server ---------------------------------------------------------
my $srv = standalone_dir();
my $port = free_port();
mkdir "$srv/htdocs" or die $!;
write_text("$srv/users.oath", "HOTP/T30 alice - $SECRET{alice}\n");
mkfifo("$srv/fifo", 0600) or die "mkfifo: $!";
write_text("$srv/htdocs/index.html", "root\n");

sub htaccess_dir {
    my ($name, $directive) = @_;
    mkdir "$srv/htdocs/$name" or die $!;
    write_text("$srv/htdocs/$name/index.html", "$name\n");
    write_text("$srv/htdocs/$name/.htaccess", "$directive\n");
}
htaccess_dir('fifo', qq{OTPPageTemplate "$srv/fifo"});
mkdir "$srv/tr" or die $!;
for my $i (0 .. 64) {
    mkdir "$srv/tr/$i" or die $!;
    htaccess_dir("t$i", qq{OTPTranslations "$srv/tr/$i"});
}
mkdir "$srv/users" or die $!;
for my $i (0 .. 255) {
    write_text("$srv/users/$i.oath", "HOTP/T30 alice - $SECRET{alice}\n");
    htaccess_dir("u$i", qq{OTPUsersFile "$srv/users/$i.oath"});
}
# One child process, so that the per-process bounds are reached by one client in order (with
# threads: mpm_event whatever the suite's MPM).
write_standalone_conf(dir => $srv, port => $port, mpm => 'event', body => <<"END");
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
MinSpareThreads 1
MaxSpareThreads 8
DocumentRoot "$srv/htdocs"
<Directory "$srv/htdocs">
    AllowOverride AuthConfig
    AuthType OTP
    AuthName "htaccess"
    OTPUsersFile "$srv/users.oath"
    Require valid-user
</Directory>
END
my $ua = new_client();
$ua->timeout(20);
my $base = "http://127.0.0.1:$port";
start_standalone($srv, $ua, "$base/");

my $started = time;
my $res = $ua->get("$base/fifo/");
my $took = time - $started;
is $res->code, 500, 'OTPPageTemplate naming a FIFO in .htaccess: 500';
ok !$res->header('Client-Warning') && $took < 8, '... at once, from the server (no blocked worker)'
    or diag sprintf '%.1f s, %s', $took, $res->header('Client-Warning') // '';

my @codes = map { $ua->get("$base/t$_/")->code } 0 .. 63;
is_deeply [grep { $_ != 401 } @codes], [], '64 distinct OTPTranslations directories in .htaccess load'
    or diag "@codes";
is $ua->get("$base/t64/")->code, 500, 'the 65th is refused with a 500';
is $ua->get("$base/t3/")->code, 401, '... and those loaded before still serve';

# The server configuration holds one users file already: 255 more fit.
@codes = map { $ua->get("$base/u$_/")->code } 0 .. 254;
is_deeply [grep { $_ != 401 } @codes], [], '256 distinct users files in all load' or diag "@codes";
is $ua->get("$base/u255/")->code, 500, 'the 257th is refused with a 500';
is $ua->get("$base/u7/")->code, 401, '... and those loaded before still serve';

open my $log, '<', "$srv/error_log" or die "$srv/error_log: $!";
my $text = do { local $/; <$log> };
close $log;
like $text, qr{64 distinct OTPTranslations directories}, 'the translations bound is logged';
like $text, qr{256 distinct users files}, 'the users-file bound is logged';

stop_standalone($srv);
# The FIFO may still hold a blocked worker open in a regression; unblock it so httpd exits.
if (open my $w, '+<', "$srv/fifo") { close $w }
