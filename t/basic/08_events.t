# OTPEventLog: one JSON line per validated or refused code, with exactly the documented
# fields; mod_remoteip's client address; a customer identifier from an ap_expr; hostile user
# names cannot break or forge lines; parallel writers never interleave.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp basic_get events_since wait_for_fresh_step);
use Time::HiRes ();

plan tests => 34;

my (undef, $offset) = events_since(0);
wait_for_fresh_step();

# --- the fields of WEB_100019 and WEB_100020 -----------------------------------------------
my $code = totp('evan', 0);
my %headers = ('X-Customer-Id' => 'acme', 'X-Forwarded-For' => '203.0.113.7');
my $ok = basic_get('/basic/events', 'evan', "8642$code", headers => \%headers);
is $ok->code, 200, 'evan logs in';
my $bad = basic_get('/basic/events', 'evan', '8642000000', headers => \%headers);
is $bad->code, 401, 'wrong code';
my $replay = basic_get('/basic/events', 'evan', "8642$code", headers => \%headers);
is $replay->code, 401, 'replay';
my $plain = basic_get('/basic/strict', 'no-such-user', '123456');
is $plain->code, 401, 'unknown user, no customer header, no proxy';

my $events;
($events, $offset) = events_since($offset);
is scalar(@$events), 4, 'four codes presented, four events';

my ($validated, $failed, $replayed, $unknown) = @$events;
is_deeply [sort keys %$validated],
    [sort qw(time event_id event IDENTIFIER CUSTOMER_IDENTIFIER SOURCE_ADDRESS request_id
             location pipe)], 'WEB_100019 has exactly the documented fields';
is $validated->{event_id}, 'WEB_100019', 'event_id';
is $validated->{event}, 'OTP validated', 'event';
is $validated->{IDENTIFIER}, 'evan', 'IDENTIFIER';
is $validated->{CUSTOMER_IDENTIFIER}, 'acme', 'CUSTOMER_IDENTIFIER from OTPCustomerIdentifier';
is $validated->{SOURCE_ADDRESS}, '203.0.113.7', 'SOURCE_ADDRESS follows mod_remoteip';
is $validated->{location}, '/basic/events', 'location';
is $validated->{pipe}, 'totp', 'pipe';
is $validated->{request_id}, $ok->header('X-Request-Id'), 'request_id is mod_unique_id\'s';
like $validated->{time}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'UTC time in ms';
ok abs(iso_to_epoch($validated->{time}) - time) < 30, 'time is now';

is_deeply [sort keys %$failed],
    [sort qw(time event_id event IDENTIFIER CUSTOMER_IDENTIFIER SOURCE_ADDRESS reason
             request_id location pipe)], 'WEB_100020 has exactly the documented fields';
is $failed->{event_id}, 'WEB_100020', 'failure event_id';
is $failed->{event}, 'OTP validation failed', 'failure event';
is $failed->{reason}, 'invalid_otp', 'reason invalid_otp';
is $replayed->{reason}, 'replay', 'reason replay';
is $unknown->{reason}, 'unknown_user', 'reason unknown_user';
ok !exists $unknown->{CUSTOMER_IDENTIFIER}, 'no CUSTOMER_IDENTIFIER without a value';
is $unknown->{SOURCE_ADDRESS}, '127.0.0.1', 'direct client address';
is $unknown->{location}, '/basic/strict', 'location of the other section';

# --- log injection ----------------------------------------------------------------------------
my @hostile = ('quote"brace}', "new\nline", "ctl\x01\x1f\x7f", 'A' x 10240,
               "tab\tand\\backslash", "bad utf8 \xff\xfe");
for my $name (@hostile) {
    basic_get('/basic/strict', $name, '123456');
}
($events, $offset) = events_since($offset);
is scalar(@$events), scalar(@hostile), 'one event line per hostile user name';
my @names = map { $_->{IDENTIFIER} } @$events;
is_deeply [@names[0 .. 4]], [@hostile[0 .. 4]], 'names survive JSON escaping intact';
is $names[5], "bad utf8 \x{fffd}\x{fffd}", 'invalid UTF-8 replaced by U+FFFD';
is length($names[3]), 10240, 'a 10 KiB name is one line';

# --- concurrency: 4 clients x 500 events -----------------------------------------------------
my $url = Apache::TestRequest::resolve_url('/basic/strict');
my @pids;
for my $client (1 .. 4) {
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        Apache::TestRequest::user_agent(reset => 1, keep_alive => 1);
        basic_get($url, "load-$client-$_", '000000') for 1 .. 500;
        require POSIX;
        POSIX::_exit(0);
    }
    push @pids, $pid;
}
waitpid $_, 0 for @pids;
my $raw_offset = $offset;
($events, $offset) = events_since($offset);
is scalar(@$events), 2000, '2,000 requests, exactly 2,000 valid event lines';
my %per_client;
$per_client{ (($_->{IDENTIFIER} // '') =~ /^load-(\d)-/)[0] // 'other' }++ for @$events;
is_deeply \%per_client, {1 => 500, 2 => 500, 3 => 500, 4 => 500}, '500 per client';
is scalar(grep { ($_->{event_id} // q()) eq 'WEB_100020' && ($_->{reason} // q()) eq 'unknown_user' } @$events),
    2000, 'every one a WEB_100020 unknown_user';
my %ids;
$ids{ $_->{request_id} }++ for @$events;
is scalar(keys %ids), 2000, 'every request has its own request_id';
ok $offset > $raw_offset, 'log grew';

sub iso_to_epoch {
    my ($t) = @_;
    require Time::Local;
    my ($y, $m, $d, $H, $M, $S) = $t =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)/;
    return Time::Local::timegm($S, $M, $H, $d, $m - 1, $y);
}
