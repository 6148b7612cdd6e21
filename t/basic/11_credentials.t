# Basic credentials that are not what they seem: no colon (PIN and code typed into the user
# name) is refused without logging that "name"; a linger record ends when the user's secret
# changes.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use File::Spec;
use FindBin;
use MIME::Base64 qw(encode_base64);
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp basic_get events_since wait_for_fresh_step server_log_since var_dir %SECRET);

plan tests => 6;

my (undef, $offset) = events_since(0);
my $log_offset = -s File::Spec->catfile($FindBin::Bin, '..', 'logs', 'error_log');

# ---- no colon: the whole credential is the "user name" ------------------------------------
my $typed = 'carol58213271828';
my $res = Apache::TestRequest::GET('/basic/strict',
    Authorization => 'Basic ' . encode_base64($typed, ''));
is $res->code, 401, 'credentials without a colon: 401';
my ($events) = events_since($offset);
ok !grep({ index(join(' ', %$_), $typed) >= 0 } @$events), 'not in the event log';
my $errors = server_log_since($log_offset);
ok index($errors, $typed) < 0, 'not in the error log';

# ---- a linger record outlives no secret change ---------------------------------------------
wait_for_fresh_step(30, 8);
my $password = totp('linus', 0);
is basic_get('/basic/relinger', 'linus', $password)->code, 200, 'linus logs in';
is basic_get('/basic/relinger', 'linus', $password)->code, 200, 'the same password lingers';
my $file = File::Spec->catfile(var_dir(), 'users-linger.oath');
open my $fh, '>', "$file.tmp" or die "$file.tmp: $!";
print $fh "HOTP/T30 linus - $SECRET{linus2}\n";
close $fh;
rename "$file.tmp", $file or die "rename: $!";
sleep 2;    # reloads are noticed within a second
is basic_get('/basic/relinger', 'linus', $password)->code, 401,
    "after the secret changed, the old token's password no longer lingers";
