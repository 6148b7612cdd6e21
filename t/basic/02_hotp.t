# HOTP through AuthBasicProvider otp: counter look-ahead, counter written back to the users
# file as liboath writes it, replays refused, other lines untouched.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(hotp basic_get users_file_line var_dir %SECRET);

plan tests => 14;

my $url = '/basic/strict';
my $users = var_dir() . '/users.oath';
my @before = read_lines($users);
my ($mode_before, $uid_before) = (stat $users)[2, 4];

my $first = hotp('carol', 0);
is basic_get($url, 'carol', $first)->code, 200, 'HOTP code for counter 0 accepted';
like users_file_line('users.oath', 'carol'),
    qr/^HOTP\tcarol\t-\t$SECRET{carol}\t0\t$first\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dL\n\z/,
    'counter 0 and the code written back, tab separated, liboath time format';
is basic_get($url, 'carol', $first)->code, 401, 'the same code again: refused';

my $third = hotp('carol', 3);
is basic_get($url, 'carol', $third)->code, 200, 'counter 3 accepted (inside the look-ahead)';
like users_file_line('users.oath', 'carol'), qr/^HOTP\tcarol\t-\t$SECRET{carol}\t3\t$third\t/,
    'counter 3 persisted';
is basic_get($url, 'carol', hotp('carol', 2))->code, 401, 'an older counter is refused';
is basic_get($url, 'carol', hotp('carol', 15))->code, 401,
    'a counter beyond the look-ahead (10) is refused';

my @after = read_lines($users);
is scalar(@after), scalar(@before), 'no line lost or added';
is_deeply [grep { !/\tcarol\t/ && !/^HOTP carol / } @after],
          [grep { !/^HOTP carol / } @before], 'every other line kept byte for byte';
my ($mode_after, $uid_after) = (stat $users)[2, 4];
is sprintf('%o', $mode_after & 07777), sprintf('%o', $mode_before & 07777), 'mode kept';
is $uid_after, $uid_before, 'owner kept';
ok !-e "$users.new", 'no .new file left behind';

# OTPHOTPLookAhead 0: only the next expected counter (hank: last accepted 4).
is basic_get('/basic/tight', 'hank', hotp('hank', 6))->code, 401,
    'look-ahead 0: counter 6 refused';
is basic_get('/basic/tight', 'hank', hotp('hank', 5))->code, 200,
    'look-ahead 0: counter 5 accepted';

sub read_lines {
    my ($path) = @_;
    open my $fh, '<', $path or die "$path: $!";
    return <$fh>;
}
