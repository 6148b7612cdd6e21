# After everything else ran: no secret, PIN or code used in this run appears in the error log
# or the event log.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(codes_used %SECRET %PIN);

my @codes = codes_used();
plan tests => 6;

ok @codes > 20, scalar(@codes) . ' codes were used in this run';

my $logs = "$FindBin::Bin/../logs";
my $error_log = slurp("$logs/error_log");
my $events = slurp("$logs/otp-events.log");
ok length $events, 'the event log is not empty';

# Error log lines start with "[time] [module:level] [pid N:tid N] [client ...]": digits there
# are not codes. Event lines carry digits in time, request_id, txn_id (the same id) and flow (a
# two-way flow's hashed reference) only; a two-way IDENTIFIER before coupling is that reference.
(my $messages = $error_log) =~ s/^(?:\[[^\]]*\]\s*)+//mg;
(my $event_values = $events) =~ s/"(?:time|request_id|txn_id|flow)":"[^"]*"//g;

my @leaked_secrets = grep { index(lc($error_log . $events), lc $_) >= 0 } values %SECRET;
is_deeply \@leaked_secrets, [], 'no secret in any log';
my @leaked_pins = grep { $messages =~ /(?<!\d)\Q$_\E(?!\d)/ || $event_values =~ /(?<!\d)\Q$_\E(?!\d)/ }
    values %PIN;
is_deeply \@leaked_pins, [], 'no PIN in any log';
my @leaked_codes = grep { $messages =~ /(?<!\d)\Q$_\E(?!\d)/ || $event_values =~ /(?<!\d)\Q$_\E(?!\d)/ }
    @codes;
is_deeply \@leaked_codes, [], 'no code in any log (delivered codes included)';
# What a pipe program gets on stdin (it holds the code) never reaches a log either.
ok index($error_log . $events, '"action":') < 0, "no pipe program's stdin in any log";

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    local $/;
    return <$fh>;
}
