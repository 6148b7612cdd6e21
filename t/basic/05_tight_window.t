# OTPWindow 0: only the current time step.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp basic_get wait_for_fresh_step);

plan tests => 3;

wait_for_fresh_step(30, 5);
is basic_get('/basic/tight', 'tom', totp('tom', -1))->code, 401, 'previous step refused';
is basic_get('/basic/tight', 'tom', totp('tom', 1))->code, 401, 'next step refused';
is basic_get('/basic/tight', 'tom', totp('tom', 0))->code, 200, 'current step accepted';
