# `apachectl configtest` fails on a broken users file (naming file, line and reason) and on bad
# directive values, and passes on a good configuration.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestConfig;
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(write_standalone_conf %SECRET);

plan tests => 14;

my $httpd = Apache::Test::vars('httpd');
my $dir = tempdir(CLEANUP => 1);

sub configtest {
    my ($users_text, $directives) = @_;
    open my $u, '>', "$dir/users.oath" or die $!;
    print $u $users_text;
    close $u;
    write_standalone_conf(dir => $dir, port => 1, body => <<"END");
<Location /api>
    AuthType Basic
    AuthName "API"
    AuthBasicProvider otp
    OTPUsersFile "$dir/users.oath"
    $directives
    Require valid-user
</Location>
END
    my $out = `$httpd -t -f "$dir/httpd.conf" 2>&1`;
    return ($? >> 8, $out);
}

my $good = "HOTP/T30 alice - $SECRET{alice}\n";
my ($status, $out) = configtest($good, '');
is $status, 0, 'a good configuration passes' or diag $out;

($status, $out) = configtest("# ok\n$good\nHOTP/X99 bob - $SECRET{bob}\n", '');
isnt $status, 0, 'an unknown token type fails configtest';
like $out, qr{users\.oath:4: .*type}i, '... naming file, line and reason';

($status, $out) = configtest("HOTP/T30 bob - 0102zz\n", '');
isnt $status, 0, 'a non-hex secret fails configtest';
like $out, qr{users\.oath:1: .*secret}i, '... with the reason';
unlike $out, qr/0102zz/, '... without echoing the secret';

($status, $out) = configtest("HOTP bob - $SECRET{bob} twelve\n", '');
like $out, qr{users\.oath:1: .*counter}i, 'a bad counter names the counter';

unlink "$dir/users.oath";    # the configuration of the last call, without its users file
$out = `$httpd -t -f "$dir/httpd.conf" 2>&1`;
isnt $? >> 8, 0, 'a missing users file fails configtest';
like $out, qr{users\.oath}, '... naming the file';

($status, $out) = configtest($good, 'OTPWindow many');
isnt $status, 0, 'OTPWindow many fails';
like $out, qr/OTPWindow: 'many' is not a whole number from 0 to 10/, '... with the range';

($status, $out) = configtest($good, 'OTPDigits 9');
like $out, qr/OTPDigits: '9' is not a whole number from 6 to 8/, 'OTPDigits 9 refused';

($status, $out) = configtest($good, 'OTPUsersFile users.oath sideways');
like $out, qr/unknown layout 'sideways'/, 'an unknown layout is refused';

($status, $out) = configtest($good, 'OTPStateStore shmcb');
like $out, qr/OTPStateStore not allowed here|not allowed/, 'OTPStateStore only in server config';
