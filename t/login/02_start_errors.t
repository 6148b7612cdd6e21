# Every bad request to the start endpoint gets its own status and error (SPEC §3.2), and a
# return path can never point outside the protected location.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use HTTP::Request::Common qw(GET POST);
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp new_client start_json url_of wait_for_fresh_step);

my @cases = (
    # [name, raw body, content type, status, error]
    ['malformed JSON', '{"type":"start",', 'application/json', 400, 'malformed_json'],
    ['not an object', '["start"]', 'application/json', 400, 'not_an_object'],
    ['missing type', '{"data":{"otp":"123456"}}', 'application/json', 400, 'missing_type'],
    ['wrong type', '{"type":"begin","data":{"otp":"123456"}}', 'application/json', 400, 'unknown_type'],
    ['missing data', '{"type":"start"}', 'application/json', 400, 'missing_data'],
    ['missing otp', '{"type":"start","data":{"user":"lucy"}}', 'application/json', 400, 'missing_otp'],
    ['otp not a string', '{"type":"start","data":{"otp":123456}}', 'application/json', 400, 'missing_otp'],
    ['over-long otp', '{"type":"start","data":{"otp":"' . ('1' x 65) . '"}}', 'application/json', 400, 'value_too_long'],
    ['over-long user', '{"type":"start","data":{"otp":"123456","user":"' . ('u' x 257) . '"}}', 'application/json', 400, 'value_too_long'],
    ['odd characters in otp', '{"type":"start","data":{"otp":"12 34<"}}', 'application/json', 400, 'invalid_otp_format'],
    ['control characters in user', '{"type":"start","data":{"otp":"123456","user":"a\u0001b"}}', 'application/json', 400, 'invalid_user'],
    ['duplicate keys', '{"type":"start","type":"start","data":{"otp":"1"}}', 'application/json', 400, 'malformed_json'],
    ['body over 8 KiB', '{"type":"start","data":{"otp":"123456","pad":"' . ('x' x 9000) . '"}}', 'application/json', 413, 'body_too_large'],
    ['wrong content type', '{"type":"start","data":{"otp":"123456"}}', 'text/plain', 415, 'unsupported_content_type'],
    ['no user with AuthType OTP', '{"type":"start","data":{"otp":"123456"}}', 'application/json', 400, 'missing_user'],
    ['foreign return', '{"type":"start","data":{"otp":"123456","user":"lucy","return":"https://evil.example/"}}', 'application/json', 400, 'invalid_return'],
    ['protocol-relative return', '{"type":"start","data":{"otp":"123456","user":"lucy","return":"//evil.example/app/"}}', 'application/json', 400, 'invalid_return'],
    ['return outside the location', '{"type":"start","data":{"otp":"123456","user":"lucy","return":"/other/"}}', 'application/json', 400, 'invalid_return'],
    ['form without CSRF token', 'user=lucy&otp=123456', 'application/x-www-form-urlencoded', 403, 'missing_csrf'],
    ['form with a wrong CSRF token', 'user=lucy&otp=123456&csrf=' . ('A' x 43), 'application/x-www-form-urlencoded', 403, 'invalid_csrf'],
);

plan tests => 2 * @cases + 9;

my $ua = new_client();
$ua->get(url_of('/app/'));    # an attempt, as a browser would have
for my $case (@cases) {
    my ($name, $raw, $type, $status, $error) = @$case;
    my ($res, $body) = start_json($ua, '/app/.otp/start', undef, raw => $raw, content_type => $type);
    is $res->code, $status, "$name: $status";
    is_deeply $body, {status => 'ERROR', error => $error}, "$name: error $error";
}

my $get = $ua->get(url_of('/app/.otp/start'), Accept => 'application/json');
is $get->code, 405, 'GET on the start endpoint: 405';
is $get->header('Allow'), 'POST', '... Allow: POST';

my ($res, $body) = start_json($ua, '/app/.otp/start', {otp => '123456', user => 'lucy'},
                              headers => {Origin => 'https://evil.example'});
is $res->code, 403, 'foreign Origin: 403';
is $body->{error}, 'bad_origin', '... bad_origin';

my $port_origin = url_of('/');
$port_origin =~ s{/$}{};
($res, $body) = start_json($ua, '/app/.otp/start', {otp => '000000', user => 'nobody-known'},
                           headers => {Origin => $port_origin});
is $res->code, 401, 'own Origin accepted (unknown user: an ordinary wrong code)';
is $body->{error}, 'invalid_otp', '... invalid_otp, never "unknown user"';

($res, $body) = start_json($ua, '/app/.otp/start', {otp => '123456'}, type => 'send');
is $res->code, 400, 'send without a delivery pipe: 400';
is $body->{error}, 'send_not_available', '... send_not_available';

# A relative return inside the location is followed.
wait_for_fresh_step();
($res, $body) = start_json(new_client(), '/app/.otp/start',
                           {otp => totp('ivy', 0), user => 'ivy', return => '/app/reports.txt?x=1'});
is_deeply $body, {status => 'COMPLETED', redirect => '/app/reports.txt?x=1'},
    'a safe return path is the redirect';
