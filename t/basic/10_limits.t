# AuthBasicProvider otp goes through the one verifier: the per-user lockout (the right code
# refused while locked, the lock lifts after the ban), atomic admission under 200 parallel
# wrong passwords (comparisons counted from the event log never exceed the limit), and the
# per-address lockout across user names.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp basic_get events_since wait_for_fresh_step parallel_statuses);

plan tests => 15;

my (undef, $offset) = events_since(0);
wait_for_fresh_step(30, 10);

# ---- OTPLockout 3 60 4 on Basic ------------------------------------------------------------
for my $i (1 .. 3) {
    is basic_get('/basic/lockout', 'basil', sprintf('%06d', $i))->code, 401, "wrong code $i: 401";
}
is basic_get('/basic/lockout', 'basil', totp('basil', 0))->code, 401,
    'locked: the right code is refused';
my $events;
($events, $offset) = events_since($offset);
my @basil = grep { ($_->{IDENTIFIER} // '') eq 'basil' } @$events;
is_deeply [map { $_->{event_id} . ':' . ($_->{reason} // '') } @basil],
    ['WEB_100020:invalid_otp', 'WEB_100020:invalid_otp', 'WEB_100020:invalid_otp', 'WEB_100024:',
     'WEB_100020:locked'],
    'three failures, the lockout, then "locked" without a comparison';
ok !exists $basil[-1]{pipe}, 'the locked refusal compared no code (no pipe)';
sleep 5;
is basic_get('/basic/lockout', 'basil', totp('basil', 0))->code, 200, 'after the ban: 200';

# ---- 200 parallel wrong passwords (OTPLockout 3 600 900): at most 3 comparisons ------------
# The ban outlasts the burst, so every one of the 200 falls into one lockout.
(undef, $offset) = events_since($offset);
my @statuses = parallel_statuses(200, sub {
    my ($i) = @_;
    return basic_get('/basic/lockout-long', 'bruno', sprintf('%06d', 500000 + $i));
});
is scalar(grep { $_ eq '401' } @statuses), 200, '200 wrong passwords: 200 times 401';
($events, $offset) = events_since($offset);
my @compared = grep { $_->{event_id} eq 'WEB_100020' && ($_->{IDENTIFIER} // '') eq 'bruno'
                      && exists $_->{pipe} } @$events;
my @refused = grep { $_->{event_id} eq 'WEB_100020' && ($_->{IDENTIFIER} // '') eq 'bruno' } @$events;
is scalar(@refused), 200, 'every request logged one refusal';
is scalar(@compared), 3, 'exactly the 3 comparisons OTPLockout allows, the rest refused as locked';

# ---- OTPAddressLockout 5 60 4: failures from one address, any user names ------------------
for my $i (1 .. 5) {
    basic_get('/basic/address', "spray$i", '123456', from => '127.0.0.5');
}
wait_for_fresh_step(30, 4);
is basic_get('/basic/address', 'amy', totp('amy', 0), from => '127.0.0.5')->code, 401,
    'the locked address: even the right code of another user is refused';
($events, $offset) = events_since($offset);
ok scalar(grep { $_->{event_id} eq 'WEB_100031' && $_->{SOURCE_ADDRESS} eq '127.0.0.5' } @$events),
    'WEB_100031: the address was locked';
my ($amy) = grep { ($_->{IDENTIFIER} // '') eq 'amy' } @$events;
is $amy->{reason}, 'locked', "amy's refusal says locked";
is basic_get('/basic/address', 'amy', totp('amy', 0), from => '127.0.0.6')->code, 200,
    'another address is not locked';
sleep 5;
is basic_get('/basic/address', 'amy', totp('amy', 1), from => '127.0.0.5')->code, 200,
    'after the ban the address may try again';
