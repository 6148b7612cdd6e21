# A state store that is full refuses new work (503 store_full) and never forgets a live
# record (SPEC §7, issue 9): on a server of the test's own with a deliberately tiny store
# (160 records), a flood of wrong guesses from new attempts and new user names fills it; then
# a used code is still refused as a replay, a locked user is still locked, a session still
# opens, and the refusals are 503 with "store_full" and events that say so.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(write_files post_start read_events slurp write_standalone_conf standalone_dir free_port start_standalone stop_standalone
               new_client totp wait_for_fresh_step %SECRET);

plan tests => 23;

my $dir = standalone_dir();
my $port = free_port();
write_files($dir, 'users.oath' => join('', map { "HOTP/T30 $_ - $SECRET{$_}\n" } qw(alice bob carol)),
            'htdocs/app/index.html' => "inside\n");
# 128 bytes of header and 160 slots of 128 bytes.
write_standalone_conf(dir => $dir, port => $port, body => <<"END");
DocumentRoot "$dir/htdocs"
LogLevel warn otp:info
OTPStateStore shmcb:(20608)
OTPEventLog "$dir/events.log"
# One test client plays every visitor, so the per-address limit is off, except in /app2.
OTPAddressLockout off
<Location /app2>
    AuthType OTP
    AuthName "Second"
    OTPUsersFile "$dir/users.oath"
    OTPAddressLockout 3 600 900
    Require valid-user
</Location>
<Location /app>
    AuthType OTP
    AuthName "Application"
    OTPUsersFile "$dir/users.oath"
    OTPAllowedRetry 10
    OTPLockout 3 600 900
    Require valid-user
</Location>
END

my $base = "http://127.0.0.1:$port";
start_standalone($dir, new_client(), "$base/app/");
like slurp("$dir/error_log"), qr/OTPStateStore shmcb: 20608 bytes, 160 records/,
    'the startup log states the size';


sub start { my ($ua, $user, $otp) = @_; return post_start($ua, "$base/app/.otp/start", $user, $otp) }
sub events { return read_events("$dir/events.log") }

# The start endpoint counts wrong codes per client address too (OTPAddressLockout): after 3
# wrong codes for 3 different users, the address is locked, even for a right code.
is((post_start(new_client(), "$base/app2/.otp/start", "spray$_", '000000'))[0]->code, 401,
   "start endpoint, wrong code $_ of 3 from this address: 401") for 1 .. 3;
is((post_start(new_client(), "$base/app2/.otp/start", 'spray4', '000000'))[0]->code, 429,
   'the fourth from the same address: 429, the address is locked');

wait_for_fresh_step(30, 10);
# Before the flood: alice logs in (a session, a replay record), bob gets locked, and mallory
# opens an attempt with one wrong guess for alice (its retry counter and alice's guess counter
# exist, so guessing again in that attempt needs no new record).
my $alice = new_client();
my $code = totp('alice');
my ($login) = start($alice, 'alice', $code);
is $login->code, 200, 'alice logs in';
is $alice->get("$base/app/index.html")->code, 200, "alice's session opens the location";
for (1 .. 3) { start(new_client(), 'bob', '000000') }
is((start(new_client(), 'bob', '000000'))[0]->code, 429, 'bob is locked');
my $mallory = new_client();
is((start($mallory, 'alice', '000000'))[0]->code, 401, 'mallory: one wrong code for alice');
my $carol = new_client();
start($carol, 'carol', '000000') for 1 .. 2;

# The flood: wrong codes for new user names, each from a new attempt (two new records each).
my (%status, %error);
for my $i (1 .. 200) {
    my ($res, $body) = start(new_client(), "flood$i", '000000');
    $status{ $res->code }++;
    $error{ $body->{error} // '' }++ if $res->code == 503;
}
ok $status{503}, "the store filled: 503 answers ($status{503} of 200)"
    or diag explain \%status;
is_deeply [keys %error], ['store_full'], 'every 503 says store_full' or diag explain \%error;
ok $status{401}, "before it filled, wrong codes were refused as such ($status{401})";

# Nothing live was forgotten.
my ($replay, $replay_body) = start($mallory, 'alice', $code);
is $replay->code, 401, "alice's used code, guessed in mallory's attempt: refused";
my @events = events();
my ($replay_event) = grep { $_->{event_id} eq 'WEB_100020' && $_->{IDENTIFIER} eq 'alice'
                            && ($_->{reason} // '') eq 'replay' } @events;
ok $replay_event, '... as a replay: the replay record is still there';
is((start(new_client(), 'bob', totp('bob')))[0]->code, 429, 'bob is still locked');
is $alice->get("$base/app/index.html")->code, 200, "alice's session still opens";
# carol had 2 wrong codes of the 3 the lockout allows: her counter was not reset. The third
# locks her (the lock record finds no room, but the counter itself refuses more guesses).
is((start($carol, 'carol', '000000'))[0]->code, 401, "carol's third wrong code: refused");
is((start($carol, 'carol', totp('carol')))[0]->code, 429,
   '... and then even her right code gets no comparison: her counter was kept');

# The refusals were logged as what they were.
my @full = grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'store_full' } @events;
ok @full >= 1, scalar(@full) . ' WEB_100020 events with reason store_full';
ok((grep { $_->{event_id} eq 'WEB_100030' } @events), 'and WEB_100030 store errors');
my ($accepted) = grep { $_->{event_id} eq 'WEB_100019' && $_->{IDENTIFIER} =~ /^flood/ } @events;
ok !$accepted, 'no flood guess was accepted';
like slurp("$dir/error_log"), qr/store_full/, 'the error log names store_full';

ok stop_standalone($dir), 'the server stops';
