# The verify API's request errors (README "errorCode", 1xxx) with their HTTP statuses, every
# element's checks (mandatory, types, lengths, characters), bodies that are not JSON objects,
# 10 KiB values and bodies over 8 KiB (with and without Content-Length), wrong content types,
# other methods, unknown calls and cross-site browsers (refused before anything is counted);
# and the server failures a location can cause (not_configured, pipe_error). Never a crash.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use FindBin;
use lib "$FindBin::Bin/../lib";
use IO::Socket::INET;
use JSON::PP;
use OTPTest qw(api_call api_form totp events_since server_log_since);

plan tests => 141;

my (undef, $offset) = events_since(0);
my (undef, $log_offset) = server_log_since(0);

# One refusal: the HTTP status, and the answer's status, errorCode, error and element.
sub refused {
    my ($res, $body, $status, $code, $error, $element, $label) = @_;
    my @got = ($res->code, $body && $body->{status}, $body && $body->{errorCode}, $body && $body->{error},
               $body && $body->{element});
    my @want = ($status, 'ERROR', $code, $error, $element);
    is_deeply \@got, \@want, $label or diag $res->as_string;
}
sub verify_error {
    my ($payload, $status, $code, $error, $element, $label, %opt) = @_;
    my ($res, $body) = api_call($opt{path} // '/api/totp', $payload, %opt);
    refused($res, $body, $status, $code, $error, $element, $label);
    return ($res, $body);
}
# Well-formed; a wrong code (401). Refused requests never reach the verifier, so %ok's user is
# never counted; every well-formed guess names a user of its own (no lockout in between).
my %ok = (userName => 'ghost-errors', otp => '123456');
my $fresh = 0;
sub fresh { return (userName => 'ghost-fresh-' . ++$fresh, otp => '123456') }

# ---- 1000 malformed_request (400) ------------------------------------------------------
for my $case (['not json', 'not JSON'], ['', 'an empty body'], ['[1,2]', 'an array'],
              ['"text"', 'a string'], ['42', 'a number'], ['null', 'null'],
              ['{"userName":"a","otp":"123456"} x', 'trailing garbage'],
              ['{"userName":"a","userName":"b","otp":"123456"}', 'a duplicate member'],
              ['{"userName":"a","otp":"123456","additionalInput":{"AR_WF_LOCALE_ID":"sv","AR_WF_LOCALE_ID":"en"}}',
               'a duplicate member in additionalInput'],
              [qq({"userName":"\xff\xfe","otp":"123456"}), 'invalid UTF-8'],
              ['{"userName":"a\ud800","otp":"123456"}', 'a lone surrogate escape'],
              ['[' x 8000, '8000 nested arrays'],
              ['[' x 3000 . ']' x 3000, '3000 nested arrays (deeper than any parser should go)'],
              ["{\"userName\":\"a\",\"otp\":\"12\x00\"}", 'a raw NUL byte']) {
    my ($raw, $label) = @$case;
    verify_error($raw, 400, 1000, 'malformed_request', undef, "malformed_request: $label");
}
verify_error('{"x":' x 1300 . '1' . '}' x 1300, 400, 1001, 'missing_element', 'userName',
             '1300 nested objects: parsed, no userName');
verify_error('{"token":', 400, 1000, 'malformed_request', undef, 'token: malformed_request', path => '/api/token1/token');
verify_error('[]', 400, 1000, 'malformed_request', undef, 'generate: malformed_request', path => '/api/codes1/generate');

# ---- 1001 missing_element (400), `element` names it ---------------------------------------
for my $case ([+{otp => '123456'}, 'userName', 'userName absent'],
              [+{userName => '', otp => '123456'}, 'userName', 'userName empty'],
              [+{userName => undef, otp => '123456'}, 'userName', 'userName null'],
              [+{}, 'userName', 'empty object'],
              [+{userName => 'a'}, 'otp', 'otp absent'],
              [+{userName => 'a', otp => ''}, 'otp', 'otp empty'],
              [+{userName => 'a', otp => undef}, 'otp', 'otp null']) {
    my ($payload, $element, $label) = @$case;
    verify_error($payload, 400, 1001, 'missing_element', $element, "missing_element: $label");
}
verify_error({orgName => 'acme'}, 400, 1001, 'missing_element', 'userName', 'generate: missing userName',
             path => '/api/codes1/generate');
verify_error({}, 400, 1001, 'missing_element', 'token', 'token: missing token', path => '/api/token1/token');
verify_error({token => ''}, 400, 1001, 'missing_element', 'token', 'token: empty token', path => '/api/token1/token');

# ---- 1002 invalid_element (400): types, lengths, characters -----------------------------
my @invalid = (
    [+{%ok, userName => 123}, 'userName', 'userName a number'],
    [+{%ok, userName => ['a']}, 'userName', 'userName an array'],
    [+{%ok, userName => {a => 1}}, 'userName', 'userName an object'],
    [+{%ok, userName => JSON::PP::true()}, 'userName', 'userName true'],
    [+{%ok, userName => 'u' x 257}, 'userName', 'userName of 257 bytes'],
    [+{%ok, userName => 'å' x 129}, 'userName', 'userName of 258 bytes (129 two-byte characters)'],
    [+{%ok, userName => "bell\x07"}, 'userName', 'userName with a control character'],
    [+{%ok, userName => "line\nbreak"}, 'userName', 'userName with a newline'],
    [+{%ok, userName => "nul\x00byte"}, 'userName', 'userName with NUL (\\u0000)'],
    [+{%ok, userName => "del\x7f"}, 'userName', 'userName with DEL'],
    [+{%ok, userName => "nel\x{85}"}, 'userName', 'userName with a C1 control character (U+0085)'],
    [+{%ok, otp => 123456}, 'otp', 'otp a number'],
    [+{%ok, otp => ['123456']}, 'otp', 'otp an array'],
    [+{%ok, otp => '12 345'}, 'otp', 'otp with a space'],
    [+{%ok, otp => '123-456'}, 'otp', 'otp with a dash'],
    [+{%ok, otp => "12345\x00"}, 'otp', 'otp with NUL'],
    [+{%ok, otp => '١٢٣٤٥٦'}, 'otp', 'otp of Arabic-Indic digits'],
    [+{%ok, otp => '1' x 65}, 'otp', 'otp of 65 characters'],
    [+{%ok, orgName => 5}, 'orgName', 'orgName a number'],
    [+{%ok, orgName => 'o' x 257}, 'orgName', 'orgName of 257 bytes'],
    [+{%ok, orgName => "a\tb"}, 'orgName', 'orgName with a tab'],
    [+{%ok, clientTxnId => 7}, 'clientTxnId', 'clientTxnId a number'],
    [+{%ok, clientTxnId => 't' x 129}, 'clientTxnId', 'clientTxnId of 129 bytes'],
    [+{%ok, clientTxnId => "t\r1"}, 'clientTxnId', 'clientTxnId with CR'],
    [+{%ok, tokenType => 1}, 'tokenType', 'tokenType a number'],
    [+{%ok, tokenType => ['session']}, 'tokenType', 'tokenType an array'],
    [+{%ok, additionalInput => 'sv'}, 'additionalInput', 'additionalInput a string'],
    [+{%ok, additionalInput => 1}, 'additionalInput', 'additionalInput a number'],
    [+{%ok, additionalInput => [1]}, 'additionalInput', 'additionalInput list of a number'],
    [+{%ok, additionalInput => [+{name => 'AR_WF_LOCALE_ID'}]}, 'additionalInput', 'list entry without value'],
    [+{%ok, additionalInput => [+{value => 'sv'}]}, 'additionalInput', 'list entry without name'],
    [+{%ok, additionalInput => [+{name => 5, value => 'sv'}]}, 'additionalInput', 'list entry with a number as name'],
    [+{%ok, additionalInput => [+{name => 'AR_WF_LOCALE_ID', value => 'sv'}, {name => 'AR_WF_LOCALE_ID', value => 'en'}]},
     'additionalInput', 'AR_WF_LOCALE_ID twice in the list'],
    [+{%ok, additionalInput => {AR_WF_LOCALE_ID => 5}}, 'additionalInput', 'AR_WF_LOCALE_ID a number'],
    [+{%ok, additionalInput => [+{name => 'AR_WF_CALLER_ID', value => ['c']}]}, 'additionalInput', 'AR_WF_CALLER_ID an array'],
    [+{%ok, additionalInput => {AR_WF_CALLER_ID => 'c' x 257}}, 'additionalInput', 'AR_WF_CALLER_ID of 257 bytes'],
    [+{%ok, additionalInput => {AR_WF_CALLER_ID => "c\x01"}}, 'additionalInput', 'AR_WF_CALLER_ID with a control character'],
);
for my $case (@invalid) {
    my ($payload, $element, $label) = @$case;
    verify_error($payload, 400, 1002, 'invalid_element', $element, "invalid_element: $label");
}
verify_error({token => 5}, 400, 1002, 'invalid_element', 'token', 'token: a number', path => '/api/token1/token');
verify_error({token => 'A' x 4097}, 400, 1002, 'invalid_element', 'token', 'token: 4097 characters', path => '/api/token1/token');
verify_error({userName => 'ghost-errors', orgName => 7}, 400, 1002, 'invalid_element', 'orgName',
             'generate: orgName a number', path => '/api/codes1/generate');

# The limits themselves are allowed: a well-formed wrong code (401 invalid_otp).
for my $case ([+{fresh(), userName => 'u' x 256}, 'userName of 256 bytes'],
              [+{fresh(), userName => 'å' x 128}, 'userName of 128 two-byte characters'],
              [+{fresh(), otp => 'a1B2' x 16}, 'otp of 64 letters and digits'],
              [+{fresh(), orgName => 'o' x 256}, 'orgName of 256 bytes'],
              [+{fresh(), clientTxnId => 't' x 128}, 'clientTxnId of 128 bytes'],
              [+{fresh(), additionalInput => {AR_WF_CALLER_ID => 'c' x 256, OTHER => [1, {x => undef}]}},
               'AR_WF_CALLER_ID of 256 bytes, another name of any type'],
              [+{fresh(), orgName => undef, clientTxnId => undef, tokenType => undef, additionalInput => undef},
               'optional elements null']) {
    my ($payload, $label) = @$case;
    my ($res, $body) = api_call('/api/totp', $payload);
    refused($res, $body, 401, 2000, 'invalid_otp', undef, "allowed: $label");
}

# ---- 1003 unknown_token_type (400) -------------------------------------------------------------
for my $type ('bearer', 'Session', '', 'session ') {
    verify_error({%ok, tokenType => $type}, 400, 1003, 'unknown_token_type', 'tokenType', "unknown_token_type: '$type'");
}

# ---- 1004 body_too_large (413) ------------------------------------------------------------------
my $padding = sub { my ($size) = @_; my $head = '{"userName":"ghost-padding","otp":"123456","pad":"';
                    return $head . ('p' x ($size - length($head) - 2)) . '"}' };
is length($padding->(8192)), 8192, '(a body of exactly 8192 bytes)';
my ($res, $body) = api_call('/api/totp', $padding->(8192));
refused($res, $body, 401, 2000, 'invalid_otp', undef, 'a body of exactly 8 KiB is read');
verify_error($padding->(8193), 413, 1004, 'body_too_large', undef, 'body_too_large: 8193 bytes');
verify_error({%ok, userName => 'u' x 10240}, 413, 1004, 'body_too_large', undef, 'body_too_large: a 10 KiB userName');
verify_error({%ok, otp => '1' x 10240}, 413, 1004, 'body_too_large', undef, 'body_too_large: a 10 KiB otp');
verify_error({%ok, orgName => 'o' x 10240}, 413, 1004, 'body_too_large', undef, 'body_too_large: a 10 KiB orgName');
verify_error({%ok, additionalInput => {AR_WF_CALLER_ID => 'c' x 10240}}, 413, 1004, 'body_too_large', undef,
             'body_too_large: a 10 KiB AR_WF_CALLER_ID');
verify_error({userName => 'u' x 10240}, 413, 1004, 'body_too_large', undef, 'generate: body_too_large',
             path => '/api/codes1/generate');
verify_error({token => 'A' x 10240}, 413, 1004, 'body_too_large', undef, 'token: body_too_large',
             path => '/api/token1/token');
verify_error('{"userName":"' . ('x' x 1048576) . '"}', 413, 1004, 'body_too_large', undef, 'body_too_large: 1 MiB');

# Raw requests: a Content-Length that announces too much is refused before the body is read;
# a chunked body is counted as it comes.
my $hostport = Apache::TestRequest::hostport();
sub raw_request {
    my ($request) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 10) or die "connect: $!";
    print $sock $request;
    local $/;
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    my $answer = eval { <$sock> } // 'timeout';
    alarm 0;
    close $sock;
    my ($status) = $answer =~ m{^HTTP/1\.1 (\d+)};
    my ($json) = $answer =~ /\r\n\r\n(?:[0-9a-f]+\r\n)?(\{.*\})/si;
    my $decoded = eval { JSON::PP->new->utf8->decode($json // '') };
    return ($status // 'none', $decoded);
}
my ($status, $decoded) = raw_request("POST /api/totp HTTP/1.1\r\nHost: $hostport\r\nContent-Type: application/json\r\n"
                                     . "Content-Length: 100000000\r\nConnection: close\r\n\r\n{");
is_deeply [$status, $decoded && $decoded->{errorCode}], [413, 1004],
    'Content-Length of 100 MB (body not sent): 413 body_too_large at once';
my $chunk = 'x' x 4096;
($status, $decoded) = raw_request("POST /api/totp HTTP/1.1\r\nHost: $hostport\r\nContent-Type: application/json\r\n"
                                  . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                  . join('', map { sprintf("%x\r\n%s\r\n", length $chunk, $chunk) } 1 .. 3) . "0\r\n\r\n");
is_deeply [$status, $decoded && $decoded->{errorCode}], [413, 1004], 'a chunked body of 12 KiB: 413 body_too_large';

# ---- 1005 unsupported_media_type (415) ----------------------------------------------------------
for my $type (undef, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonx',
              'text/json', 'multipart/form-data; boundary=x', 'application/problem+json') {
    verify_error(\%ok, 415, 1005, 'unsupported_media_type', undef,
                 'unsupported_media_type: ' . ($type // 'no Content-Type'), content_type => $type);
}
for my $type ('application/json; charset=utf-8', 'Application/JSON', ' application/json ;charset=UTF-8') {
    my ($r, $b) = api_call('/api/totp', +{fresh()}, content_type => $type);
    refused($r, $b, 401, 2000, 'invalid_otp', undef, "accepted content type '$type'");
}

# ---- 1006 method_not_allowed (405, Allow: POST) --------------------------------------------------
for my $case (['GET', '/api/totp'], ['GET', '/api/totp/verify'], ['PUT', '/api/totp'], ['DELETE', '/api/totp/verify'],
              ['PATCH', '/api/codes1/generate'], ['GET', '/api/token1/token']) {
    my ($method, $path) = @$case;
    my ($r, $b) = api_call($path, $method eq 'GET' || $method eq 'DELETE' ? undef : \%ok, method => $method);
    refused($r, $b, 405, 1006, 'method_not_allowed', undef, "method_not_allowed: $method $path");
    is $r->header('Allow'), 'POST', '... Allow: POST';
}

# initiate's errors may come in Toopher's shape ({"error_code"}) or the verify API's.
($res, $body) = api_call('/api/totp/authentication_requests/initiate', undef, method => 'GET');
is_deeply [$res->code, $body && ($body->{error_code} // $body->{errorCode}), $res->header('Allow')], [405, 1006, 'POST'],
    'method_not_allowed: GET of initiate, Allow: POST';

# ---- 1007 not_found (404) -------------------------------------------------------------------------
for my $path ('/api/totp/nope', '/api/totp/verify/more', '/api/totp/authentication_requests',
              '/api/totp/generate/x', '/api/totp/tokens', '/api/totp/.otp/start') {
    verify_error(\%ok, 404, 1007, 'not_found', undef, "not_found: $path", path => $path);
}
verify_error(undef, 404, 1007, 'not_found', undef, 'not_found: GET of an unknown call', path => '/api/totp/nope',
             method => 'GET');

# ---- 1008 bad_origin (403), before anything is counted --------------------------------------------
my $own = 'http://' . $hostport;
for my $headers ({Origin => 'https://evil.example'}, {Origin => 'null'}, {Origin => "$own.evil.example"},
                 {'Sec-Fetch-Site' => 'cross-site'}, {'Sec-Fetch-Site' => 'cross-site', Origin => $own}) {
    my $label = join ', ', map { "$_: $headers->{$_}" } sort keys %$headers;
    verify_error({userName => 'ghost-origin', otp => '123456'}, 403, 1008, 'bad_origin', undef,
                 "bad_origin: $label", path => '/api/lock', headers => $headers);
}
verify_error({userName => 'ghost-origin', otp => '123456'}, 403, 1008, 'bad_origin', undef,
             'bad_origin at generate', path => '/api/codes1/generate', headers => {Origin => 'https://evil.example'});
my ($origin_res, $origin_body) = api_form('/api/lock/authentication_requests/initiate',
                                          [user_name => 'ghost-origin', otp => '123456'],
                                          headers => {'Sec-Fetch-Site' => 'cross-site'});
is_deeply [$origin_res->code, $origin_body && ($origin_body->{error_code} // $origin_body->{errorCode})], [403, 1008],
    'bad_origin at initiate: 403, 1008';
# Six cross-site guesses were refused for ghost-origin at /api/lock (OTPLockout 3): none counted.
my $events;
($events, $offset) = events_since($offset);
is scalar(grep { ($_->{IDENTIFIER} // '') eq 'ghost-origin' } @$events), 0, 'bad_origin: no event, nothing counted';
for my $headers ({Origin => $own}, {'Sec-Fetch-Site' => 'same-origin'}, {'Sec-Fetch-Site' => 'none'}) {
    my $label = join ', ', map { "$_: $headers->{$_}" } sort keys %$headers;
    verify_error({userName => 'ghost-origin', otp => '123456'}, 401, 2000, 'invalid_otp', undef,
                 "not cross-site ($label): an ordinary wrong code, not locked", path => '/api/lock', headers => $headers);
}

# ---- 1009 generate_not_available (400) --------------------------------------------------------------
verify_error({userName => 'vera'}, 400, 1009, 'generate_not_available', undef,
             'generate at a totp location: generate_not_available', path => '/api/totp/generate');
verify_error({userName => 'vera'}, 400, 1009, 'generate_not_available', undef,
             'generate at an exec location: generate_not_available', path => '/api/exec/generate');

# ---- 3004 not_configured (500): the merge of two sections gives a pre-pipe without delivered ---------
verify_error({userName => 'ghost-nc', otp => '123456'}, 500, 3004, 'not_configured', undef,
             'not_configured: verify', path => '/api/nc/inner/verify');
($res, $body) = api_form('/api/nc/inner/authentication_requests/initiate', [user_name => 'ghost-nc', otp => '123456']);
is_deeply [$res->code, $body && $body->{error_code}, exists $body->{granted} ? 1 : 0], [500, 3004, 0],
    'not_configured: initiate answers 500 {"error_code":3004}, no decision';
my $log = server_log_since($log_offset);
like $log, qr{OTPValidationPipe at \S+extra\.conf:\d+, OTPPrePipe at \S+extra\.conf:\d+}, '... the error log names both lines';

# ---- 3002 pipe_error (503): an exec validator that exits 2 ---------------------------------------------
verify_error({userName => 'ghost-pipe', otp => '123456', clientTxnId => 'p-1'}, 503, 3002, 'pipe_error', undef,
             'pipe_error: verify', path => '/api/exit2');
($res, $body) = api_form('/api/exit2/authentication_requests/initiate', [user_name => 'ghost-pipe', otp => '123456']);
is_deeply [$res->code, $body && $body->{error_code}, exists $body->{granted} ? 1 : 0], [503, 3002, 0],
    'pipe_error: initiate answers 503 {"error_code":3002}, never granted:false';
($events, $offset) = events_since($offset);
is_deeply [map { [$_->{event_id}, $_->{reason} // $_->{outcome}] } grep { ($_->{IDENTIFIER} // '') eq 'ghost-pipe' } @$events],
    [['WEB_100032', 'exit 2'], ['WEB_100020', 'pipe_error'], ['WEB_100032', 'exit 2'], ['WEB_100020', 'pipe_error']],
    'pipe_error: WEB_100032 and WEB_100020 pipe_error for each';

# ---- still alive, nothing crashed ----------------------------------------------------------------
($res, $body) = api_call('/api/totp', {userName => 'wanda', otp => totp('wanda')});
is_deeply [$res->code, $body->{status}], [200, 'SUCCESS'], 'after all this a right code is still accepted';
$log = server_log_since($log_offset);
unlike $log, qr/(?:exit signal|Segmentation|AH00052|AH00051|internal error|terminate called)/,
    'no child crashed, no internal error';
