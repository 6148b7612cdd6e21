# OTPUsersFile ... mod_authn_otp: COUNTER is the next expected counter, written back in that
# layout; time tokens use the drift field.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp hotp basic_get users_file_line wait_for_fresh_step);

plan tests => 6;

my $url = '/basic/legacy';
is basic_get($url, 'max', hotp('max', 4))->code, 401, 'a counter before the next expected one';
is basic_get($url, 'max', hotp('max', 5))->code, 200, 'the next expected counter (5) accepted';
my @fields = split /\s+/, users_file_line('users.mod_authn_otp', 'max');
is $fields[4], 6, 'next expected counter written back as 6';
is $fields[-1], '127.0.0.1', "LASTIP: the client's address, not '-'";
is basic_get($url, 'max', hotp('max', 5))->code, 401, 'the used code is refused';

wait_for_fresh_step();
is basic_get($url, 'mia', totp('mia', 0))->code, 200, 'time token in the mod_authn_otp layout';
