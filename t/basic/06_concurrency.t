# Parallel requests carrying one valid code: exactly one is accepted, whichever httpd process
# or thread serves them (HOTP: the users file lock; TOTP: the state store's global mutex).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp hotp basic_get parallel_statuses users_file_line wait_for_fresh_step);

plan tests => 5;

Apache::TestRequest::user_agent(reset => 1, keep_alive => 0);
my $url = Apache::TestRequest::resolve_url('/basic/strict');

my $hotp = hotp('race', 0);
my @statuses = parallel_statuses(20, sub { basic_get($url, 'race', $hotp) });
is scalar(grep { $_ == 200 } @statuses), 1, '20 parallel HOTP requests: exactly one 200';
is scalar(grep { $_ == 401 } @statuses), 19, '... and 19 refusals';
my @fields = split /\t/, users_file_line('users.oath', 'race');
is $fields[4], 0, 'the counter was written once, for counter 0';

wait_for_fresh_step();
my $totp = totp('rita', 0);
@statuses = parallel_statuses(20, sub { basic_get($url, 'rita', $totp) });
is scalar(grep { $_ == 200 } @statuses), 1, '20 parallel TOTP requests: exactly one 200';
is scalar(grep { $_ == 401 } @statuses), 19, '... and 19 refusals';
