# The suite runs once per MPM (scripts/run-e2e-tests.sh): check the server really is the one
# asked for, so a broken runner cannot test event twice.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(server_log_since);

plan tests => 2;

my $wanted = $ENV{OTP_MPM} // 'event';
my $log = server_log_since(0);
like $log, qr/\[mpm_\Q$wanted\E:notice\].*resuming normal operations/, "server runs mpm_$wanted";
my $mpm = Apache::Test::vars('mpm') // '';
ok $mpm eq '' || $mpm eq $wanted, "Apache::Test saw mpm '$mpm'";
