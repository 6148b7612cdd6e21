# HOTP tokens in the interactive login (OTPValidationPipe hotp): the counter is written back,
# a used code is a replay in any later attempt, and TOTP tokens are not tried here.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(hotp totp new_client start_json url_of users_file_line events_since);

plan tests => 8;

my (undef, $offset) = events_since(0);
my $code = hotp('hedy', 2);
my $ua = new_client();
my ($res, $body) = start_json($ua, '/tokens/.otp/start', {user => 'hedy', otp => $code});
is $res->code, 200, 'HOTP code (counter 2, inside the look-ahead) accepted';
is $ua->get(url_of('/tokens/'))->code, 200, 'the session works';
like users_file_line('users.oath', 'hedy'), qr/^HOTP\thedy\t-\t\S+\t2\t$code\t/,
    'counter 2 written back';
($res, $body) = start_json(new_client(), '/tokens/.otp/start', {user => 'hedy', otp => $code});
is_deeply $body, {status => 'ERROR', error => 'invalid_otp', attempts_left => 1},
    'the same code in a new attempt: refused';
($res) = start_json(new_client(), '/tokens/.otp/start', {user => 'alice', otp => totp('alice', 0)});
is $res->code, 401, 'a TOTP token is not tried where only hotp validates';
my ($events) = events_since($offset);
my @hedy = grep { ($_->{IDENTIFIER} // '') eq 'hedy' && $_->{event_id} =~ /^WEB_1000(19|20)$/ } @$events;
is_deeply [map { $_->{event_id} } @hedy], ['WEB_100019', 'WEB_100020'], 'validated, then failed';
is_deeply [map { $_->{pipe} } @hedy], ['hotp', 'hotp'], 'pipe hotp';
is $hedy[1]{reason}, 'replay', 'the second as a replay';
