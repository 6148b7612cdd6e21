# OTPBasicLinger: after a code is accepted, the same user+password from the same address is
# accepted again for a while; from another address, or where linger is off, it is a replay.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp basic_get server_log_since wait_for_fresh_step var_dir events_since);

plan tests => 11;

wait_for_fresh_step();
my (undef, $log_offset) = server_log_since(0);
my (undef, $event_offset) = events_since(0);
my $code = totp('lena', 0);

is basic_get('/basic/linger', 'lena', $code)->code, 200, 'first use of the code';
is basic_get('/basic/linger', 'lena', $code)->code, 200,
    'same user+password from the same address: accepted (linger)';
is basic_get('/basic/linger', 'lena', $code)->code, 200, '... and again';
is basic_get('/basic/linger', 'lena', $code, from => '127.0.0.2')->code, 401,
    'the same password from another address: refused';
is basic_get('/basic/strict', 'lena', $code)->code, 401,
    'where OTPBasicLinger is 0 the same password is a replay';
my $wrong = sprintf '%06d', ($code + 1) % 1000000;
is basic_get('/basic/linger', 'lena', $wrong)->code, 401,
    'linger does not let other passwords in';

my $log = server_log_since($log_offset);
like $log, qr/user "lena": accepted by OTPBasicLinger/, 'linger acceptance is logged';

# Removing the user from the users file ends lingering logins (the file is re-read when it
# changes, at most a second later).
my $users = var_dir() . '/users.oath';
open my $in, '<', $users or die "$users: $!";
my @kept = grep { !/^HOTP\S*\s+lena\s/ } <$in>;
close $in;
open my $out, '>', $users or die "$users: $!";    # in place: owner and mode stay
print $out @kept;
close $out or die "$users: $!";
sleep 2;
is basic_get('/basic/linger', 'lena', $code)->code, 401, 'user removed: linger ends';
like server_log_since($log_offset), qr/OTPUsersFile \S+users\.oath reloaded: \d+ users/,
    'the reload is logged';
my ($events) = events_since($event_offset, all => 1);
my ($reload) = grep { ($_->{event_id} // q()) eq 'WEB_100028' } @$events;
ok $reload, 'WEB_100028 users file reloaded';
is_deeply [sort keys %{ $reload // {} }], [sort qw(time event_id event file users tokens)],
    '... with file, users and tokens';
