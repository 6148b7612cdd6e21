# `apachectl configtest` and the pipe directives: every bad value and every bad combination
# fails it, naming the file and line where the directive is, and the warnings SPEC asks for
# (reusable or long-lived delivered codes) are printed at startup.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Temp qw(tempdir);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(write_standalone_conf write_files %SECRET);

my $httpd = Apache::Test::vars('httpd');
my $dir = tempdir(CLEANUP => 1);
my $sender = "$FindBin::Bin/../bin/otp-test-sender";
write_files($dir, 'users.oath' => "HOTP/T30 alice - $SECRET{alice}\n", 'writable' => "#!/bin/sh\nexit 0\n",
            'plain' => "not a program\n");
chmod 0777, "$dir/writable";
chmod 0644, "$dir/plain";

# Server-level lines, then a location with `inside`; returns (status, output, conf path).
sub configtest {
    my ($server, $inside) = @_;
    my $conf = write_standalone_conf(dir => $dir, port => 1, body => <<"END");
OTPUsersFile "$dir/users.oath"
$server
<Location /sms>
    AuthType OTP
    AuthName "SMS"
    $inside
    Require valid-user
</Location>
END
    my $out = `$httpd -t -f "$conf" 2>&1`;
    return ($? >> 8, $out, $conf);
}
# The line of `text` in the last configuration.
sub line_of {
    my ($conf, $text) = @_;
    open my $fh, '<', $conf or die $!;
    while (<$fh>) { return $. if index($_, $text) >= 0 }
    return 0;
}

my @bad = (
    # [server lines, location lines, expected message, the directive whose line it names]
    ['', 'OTPValidationPipe sms', qr/OTPValidationPipe sms: no such pipe/, 'OTPValidationPipe sms'],
    ["OTPPipe sender exec $sender $dir/sent", 'OTPValidationPipe delivered',
     qr/OTPValidationPipe delivered needs OTPPrePipe/, 'OTPValidationPipe delivered'],
    ["OTPPipe sender exec $sender $dir/sent", 'OTPPrePipe sender',
     qr/OTPPrePipe sender needs OTPValidationPipe delivered/, 'OTPPrePipe sender'],
    ["OTPPipe sender exec $sender $dir/sent", "OTPValidationPipe totp\n    OTPPrePipe sender",
     qr/OTPPrePipe sender needs OTPValidationPipe delivered/, 'OTPPrePipe sender'],
    ['', "OTPValidationPipe delivered\n    OTPPrePipe nosuch", qr/OTPPrePipe nosuch: no such pipe/, 'OTPPrePipe nosuch'],
    ['', 'OTPPrePipe totp', qr/OTPPrePipe: 'totp' validates codes/, 'OTPPrePipe totp'],
    ["OTPPipe sender exec relative/path", '', qr/OTPPipe: 'relative\/path' is not an absolute path/, 'OTPPipe sender'],
    ["OTPPipe sender exec $dir/missing", '', qr/OTPPipe: \Q$dir\E\/missing: No such file/, 'OTPPipe sender'],
    ["OTPPipe sender exec $dir/plain", '', qr/is not executable/, 'OTPPipe sender'],
    ["OTPPipe sender exec $dir/writable", '', qr/writable by its group or by others/, 'OTPPipe sender'],
    ["OTPPipe sender exec $dir", '', qr/is not a file/, 'OTPPipe sender'],
    ["OTPPipe sender run $sender", '', qr/unknown pipe type 'run'/, 'OTPPipe sender'],
    ["OTPPipe totp exec $sender", '', qr/'totp' is a built-in pipe's name/, 'OTPPipe totp'],
    ["OTPPipe bad/name exec $sender", '', qr/not a valid name/, 'OTPPipe bad'],
    ["OTPPipe sender exec $sender\nOTPPipe sender exec $sender again", '', qr/defined twice/, 'again'],
    ["OTPPipe sender", '', qr/expected 'name exec \/path\/program/, 'OTPPipe sender'],
    ['OTPPipeTimeout 0', '', qr/OTPPipeTimeout: '0' is not a whole number from 1 to 300/, 'OTPPipeTimeout'],
    ['OTPPipeTimeout soon', '', qr/OTPPipeTimeout: 'soon'/, 'OTPPipeTimeout'],
    ['OTPPipeMaxConcurrent 0', '', qr/OTPPipeMaxConcurrent: '0' is not a whole number from 1 to 1024/, 'OTPPipeMaxConcurrent'],
    ['', 'OTPPipeTimeout 3', qr/OTPPipeTimeout not allowed in <Location> context/, 'OTPPipeTimeout'],
    ['', "OTPPipe x exec $sender", qr/OTPPipe not allowed in <Location> context/, 'OTPPipe x'],
    ['', 'OTPDeliveredCode 3', qr/OTPDeliveredCode: '3' is not a whole number from 4 to 16/, 'OTPDeliveredCode'],
    ['', 'OTPDeliveredCode 6 hex', qr/OTPDeliveredCode: unknown charset 'hex'/, 'OTPDeliveredCode'],
    ['', 'OTPDeliveredLifetime 0', qr/OTPDeliveredLifetime: '0' is not a whole number from 1 to 86400/, 'OTPDeliveredLifetime'],
    ['', 'OTPDeliveredUses 0', qr/OTPDeliveredUses: '0' is not a whole number from 1 to 100/, 'OTPDeliveredUses'],
    # The verify API: returning codes needs the delivered pipe; only in <Location>/<Directory>.
    ['', 'OTPVerifyReturnsCode on', qr/OTPVerifyReturnsCode on needs OTPValidationPipe delivered/, 'OTPVerifyReturnsCode'],
    ['OTPVerifyReturnsCode on', '', qr/OTPVerifyReturnsCode not allowed here/, 'OTPVerifyReturnsCode'],
    ['', 'OTPVerifyReturnsCode maybe', qr/OTPVerifyReturnsCode must be On or Off/, 'OTPVerifyReturnsCode'],
    # Sections at any depth: top-level <Files> and <If>, <If> inside <If> inside <Location>.
    ["<Files x.html>\nOTPValidationPipe nosuchpipe\n</Files>", '', qr/OTPValidationPipe nosuchpipe: no such pipe/, 'OTPValidationPipe nosuchpipe'],
    ["<If \"true\">\nOTPValidationPipe delivered\n</If>", '', qr/OTPValidationPipe delivered needs OTPPrePipe/, 'OTPValidationPipe delivered'],
    ['', "<If \"true\">\n<If \"true\">\nOTPValidationPipe deep\n</If>\n</If>", qr/OTPValidationPipe deep: no such pipe/, 'OTPValidationPipe deep'],
);
plan tests => 3 * @bad + 11;

for my $case (@bad) {
    my ($server, $inside, $message, $directive) = @$case;
    my ($status, $out, $conf) = configtest($server, $inside);
    isnt $status, 0, "refused: $directive" or diag $out;
    like $out, $message, "... $directive: the reason";
    my $line = line_of($conf, $directive);
    like $out, qr/(?:httpd\.conf:$line\b|line $line of)/, "... names the line ($line)" or diag $out;
}

# Good combinations pass; the pipe may be defined after its use and in the server.
my ($status, $out) = configtest('', "OTPValidationPipe delivered\n    OTPPrePipe sender\n    OTPDeliveredCode 8 alphanumeric\n    OTPDeliveredLifetime 120\n    OTPDeliveredUses 1");
isnt $status, 0, 'a pre-pipe that is never defined fails';
($status, $out) = configtest("OTPPipeTimeout 3\nOTPPipeMaxConcurrent 8", "OTPValidationPipe delivered\n    OTPPrePipe sender\n</Location>\nOTPPipe sender exec $sender $dir/sent\n<Location /other>");
is $status, 0, 'an OTPPipe defined after the location that uses it passes' or diag $out;
($status, $out) = configtest("OTPPipe sender exec $sender $dir/sent\nOTPValidationPipe delivered\nOTPPrePipe sender", '');
is $status, 0, 'delivered and the pre-pipe at server level pass' or diag $out;

# Warnings (SPEC): reusable and long-lived codes.
($status, $out) = configtest("OTPPipe sender exec $sender $dir/sent", "OTPValidationPipe delivered\n    OTPPrePipe sender\n    OTPDeliveredUses 3\n    OTPDeliveredLifetime 900");
is $status, 0, 'reusable, long-lived codes are allowed' or diag $out;
like $out, qr/OTPDeliveredUses 3: a code that can be used more than once weakens replay protection/, '... with a warning for the uses';
like $out, qr/OTPDeliveredLifetime 900: .*10 minutes/, '... and one for the lifetime';

# The verify API: OTPVerifyReturnsCode on needs no pre-pipe.
($status, $out) = configtest('', "OTPValidationPipe delivered\n    OTPVerifyReturnsCode on");
is $status, 0, 'delivered codes returned to the caller need no OTPPrePipe' or diag $out;
# An API section without any Require warns, naming its line; one with a Require does not;
# nor does one inside a section that requires something.
my $conf;
($status, $out, $conf) = configtest(<<"API", '');
<Location /open-api>
    SetHandler otp-verify
</Location>
<Location /open-portal>
    SetHandler otp-twoway-portal
</Location>
<Location /closed-api>
    SetHandler otp-verify
    <RequireAny>
        Require user app
    </RequireAny>
</Location>
<Directory "$dir">
    Require user app
    <Files api>
        SetHandler otp-verify
    </Files>
</Directory>
API
is $status, 0, 'an unprotected verify API is allowed' or diag $out;
my $open = line_of($conf, '<Location /open-api>');
like $out, qr/httpd\.conf:$open: SetHandler otp-verify without any Require/, '... with a warning naming its section';
my @warnings = $out =~ /SetHandler otp-verify without any Require/g;
is scalar @warnings, 1, '... and none for the protected ones' or diag $out;
my $portal = line_of($conf, '<Location /open-portal>');
like $out, qr/httpd\.conf:$portal: SetHandler otp-twoway-portal without any Require/,
     'a two-way portal without a login warns too';

