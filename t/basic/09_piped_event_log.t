# OTPEventLog "|program": events reach a piped logger, one whole line each. Runs its own
# httpd on a port it picks, and stops it by PID.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use JSON::PP;
use LWP::UserAgent;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp wait_for_fresh_step write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone %SECRET);

plan tests => 7;

my $dir = standalone_dir();
my $port = free_port();
my $events = "$dir/events.jsonl";
my $logger = "$FindBin::Bin/../bin/append-stdin";

open my $index, '>', "$dir/index.html" or die $!;
print $index "piped\n";
close $index;
open my $u, '>', "$dir/users.oath" or die $!;
print $u "HOTP/T30 pia - $SECRET{alice}\n";
close $u;
write_standalone_conf(dir => $dir, port => $port, body => <<"END");
DocumentRoot "$dir"
OTPEventLog "|$logger $events"
<Location />
    AuthType Basic
    AuthName "piped"
    AuthBasicProvider otp
    OTPUsersFile "$dir/users.oath"
    OTPBasicLinger 0
    Require valid-user
</Location>
END

my $ua = LWP::UserAgent->new(timeout => 10);
my $base = "http://127.0.0.1:$port/index.html";
start_standalone($dir, $ua, $base);

wait_for_fresh_step();
my $code = totp('alice', 0);
$ua->credentials("127.0.0.1:$port", 'piped', pia => $code);
is $ua->get($base)->code, 200, 'login through the piped-log server';
$ua->credentials("127.0.0.1:$port", 'piped', pia => '000000');
is $ua->get($base)->code, 401, 'wrong code refused';

# The logger is a separate process: give it a moment to read the pipe before stopping httpd
# (which also stops the logger).
for (1 .. 100) {
    last if -e $events && (() = do { open my $f, '<', $events; <$f> }) >= 2;
    select undef, undef, undef, 0.1;
}

# Stop the server by its PID.
ok stop_standalone($dir), 'server stopped';

open my $fh, '<', $events or die "$events: $!";
my @lines = <$fh>;
is scalar(@lines), 2, 'two events reached the piped logger';
my @parsed = map { decode_json($_) } @lines;
is $parsed[0]{event_id}, 'WEB_100019', 'validated';
is $parsed[1]{event_id}, 'WEB_100020', 'failed';
is $parsed[1]{reason}, 'invalid_otp', 'with its reason';
