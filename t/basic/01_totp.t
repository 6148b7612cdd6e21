# TOTP through AuthBasicProvider otp: codes from oathtool accepted, wrong and replayed codes
# refused, PIN + code, several tokens per user, 8-digit SHA-256 tokens.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest;
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp basic_get server_log_since wait_for_fresh_step);

plan tests => 18;

my $url = '/basic/strict';
my (undef, $log_offset) = server_log_since(0);
wait_for_fresh_step();

my $res = basic_get($url, 'alice', '');
is $res->code, 401, 'no password: 401';
like $res->header('WWW-Authenticate') // '', qr/^Basic realm="OTP strict"/, 'Basic challenge';

my $next = totp('alice', 1);
$res = basic_get($url, 'alice', $next);
is $res->code, 200, 'code of the next time step (inside the window) accepted';
like $res->content, qr/protected content/, 'protected content served';

my $now = totp('alice', 0);
$res = basic_get($url, 'alice', $now);
is $res->code, 401, 'an older step after a newer one was accepted: refused';

$res = basic_get($url, 'alice', $next);
is $res->code, 401, 'the same code again: refused (replay)';

my $wrong = sprintf '%06d', ($next + 500000) % 1000000;
$res = basic_get($url, 'alice', $wrong);
is $res->code, 401, 'wrong code refused';

$res = basic_get($url, 'nobody-here', totp('alice', 0));
is $res->code, 401, 'unknown user: the same 401';

# PIN + code
my $bob = totp('bob', 0);
is basic_get($url, 'bob', $bob)->code, 401, 'code without the PIN refused';
is basic_get($url, 'bob', "9999$bob")->code, 401, 'wrong PIN refused';
is basic_get($url, 'bob', "4321$bob")->code, 200, 'PIN + code accepted';

# 8 digits, HMAC-SHA-256 (HOTP/T30/8-SHA256)
is basic_get($url, 'dave', totp('dave', 0, digits => 8, sha => 'SHA256'))->code, 200,
    '8-digit SHA-256 code accepted';

# Several tokens for one user: each is tried.
is basic_get($url, 'erin', totp('erin1', 0, step => 60))->code, 200, "erin's T60 token";
is basic_get($url, 'erin', totp('erin2', 0))->code, 200, "erin's T30 token";

my $log = server_log_since($log_offset);
like $log, qr/user "alice": refused \(replay\)/, 'error log names the replay';
like $log, qr/user "alice": refused \(invalid_otp\)/, 'error log names the wrong code';
like $log, qr/user "nobody-here": refused \(unknown_user\)/, 'error log names the unknown user';
# Without the parts httpd adds (time with microseconds, pid, client address and port), which
# can hold any digits: "[client 127.0.0.1:43216]" once matched the PIN.
(my $text = $log) =~ s/\[(?:[A-Z][a-z]{2} ){2}\d\d [\d:.]+ \d{4}\]|\[pid [^\]]*\]|\[client [^\]]*\]//g;
unlike $text, qr/\Q$next\E|\Q$wrong\E|\Q$bob\E|4321/, 'no code or PIN in the error log';
