# Malformed two-way requests (README "Two-way OTP API", status 4000): each gets its HTTP status
# (400, 403, 404, 405, 413, 415) with {"status":4000,"error":…(,"element":…)}, for the app's
# calls (init, complete, token) and the portal's (JSON and form); never a crash: the server
# answers every one, and a whole flow works afterwards.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use IO::Socket::INET;
use TwoWayTest;

my $tw = TwoWayTest->new(users => ['pia']);
$tw->start(ready => '/portal', conf => [$tw->twoway_location('/twoway', 'OTPTwoWayInitRate 1000'),
                                        $tw->portal_location('/portal')]);
my $port = $tw->port;

my %pia = (Authorization => $tw->basic('pia'));
my $flow = 'AAAAAAAAAAAAAAAAAAAAAA';
my $big = '{"flow":"' . ('a' x 9000) . '","data":"123456"}';
my $big_form = 'data=123456&csrf=' . ('a' x 9000);
# [what, method, path, body (string, or undef), content type, extra headers,
#  expected HTTP status, error, element]
my @cases = (
    ['complete without flow', POST => '/twoway/complete', '{"data":"123456"}', 'application/json', {}, 400, 'missing_element', 'flow'],
    ['complete with an empty flow', POST => '/twoway/complete', '{"flow":"","data":"123456"}', 'application/json', {}, 400, 'missing_element', 'flow'],
    ['complete with flow null', POST => '/twoway/complete', '{"flow":null,"data":"123456"}', 'application/json', {}, 400, 'missing_element', 'flow'],
    ['complete without data', POST => '/twoway/complete', qq({"flow":"$flow"}), 'application/json', {}, 400, 'missing_element', 'data'],
    ['complete with a number as flow', POST => '/twoway/complete', '{"flow":12345,"data":"123456"}', 'application/json', {}, 400, 'invalid_element', 'flow'],
    ['complete with an object as flow', POST => '/twoway/complete', '{"flow":{"a":1},"data":"123456"}', 'application/json', {}, 400, 'invalid_element', 'flow'],
    ['complete with a number as data', POST => '/twoway/complete', qq({"flow":"$flow","data":123456}), 'application/json', {}, 400, 'invalid_element', 'data'],
    ['complete with a list as data', POST => '/twoway/complete', qq({"flow":"$flow","data":["123456"]}), 'application/json', {}, 400, 'invalid_element', 'data'],
    ['complete with true as data', POST => '/twoway/complete', qq({"flow":"$flow","data":true}), 'application/json', {}, 400, 'invalid_element', 'data'],
    ['complete with a space in data', POST => '/twoway/complete', qq({"flow":"$flow","data":"123 456"}), 'application/json', {}, 400, 'invalid_element', 'data'],
    ['complete with 65 characters of data', POST => '/twoway/complete', qq({"flow":"$flow","data":") . ('1' x 65) . '"}', 'application/json', {}, 400, 'invalid_element', 'data'],
    ['complete with a 200-byte flow', POST => '/twoway/complete', '{"flow":"' . ('f' x 200) . '","data":"123456"}', 'application/json', {}, 400, 'invalid_element', 'flow'],
    ['complete with bad JSON', POST => '/twoway/complete', qq({"flow":"$flow","data":), 'application/json', {}, 400, 'malformed_request', undef],
    ['complete with a JSON list', POST => '/twoway/complete', qq(["$flow","123456"]), 'application/json', {}, 400, 'malformed_request', undef],
    ['complete with a JSON string', POST => '/twoway/complete', '"hello"', 'application/json', {}, 400, 'malformed_request', undef],
    ['complete with an empty body', POST => '/twoway/complete', '', 'application/json', {}, 400, 'malformed_request', undef],
    ['complete with duplicate members', POST => '/twoway/complete', qq({"flow":"$flow","flow":"x","data":"1"}), 'application/json', {}, 400, 'malformed_request', undef],
    ['complete with invalid UTF-8', POST => '/twoway/complete', qq({"flow":"\xff\xfe","data":"123456"}), 'application/json', {}, 400, 'malformed_request', undef],
    ['complete with a NUL in the body', POST => '/twoway/complete', qq({"flow":"$flow\0","data":"123456"}), 'application/json', {}, 400, 'malformed_request', undef],
    ['complete with a body over 8 KiB', POST => '/twoway/complete', $big, 'application/json', {}, 413, 'body_too_large', undef],
    ['complete as text/plain', POST => '/twoway/complete', qq({"flow":"$flow","data":"123456"}), 'text/plain', {}, 415, 'unsupported_media_type', undef],
    ['complete as a form', POST => '/twoway/complete', "flow=$flow&data=123456", 'application/x-www-form-urlencoded', {}, 415, 'unsupported_media_type', undef],
    ['complete without Content-Type', POST => '/twoway/complete', qq({"flow":"$flow","data":"123456"}), undef, {}, 415, 'unsupported_media_type', undef],
    ['token with bad JSON', POST => '/twoway/token', '{"token":', 'application/json', {}, 400, 'malformed_request', undef],
    ['token as text/plain', POST => '/twoway/token', '{"token":"x"}', 'text/plain', {}, 415, 'unsupported_media_type', undef],
    ['init with a body over 8 KiB', POST => '/twoway/init', $big, 'application/json', {}, 413, 'body_too_large', undef],
    ['GET on /init', GET => '/twoway/init', undef, undef, {}, 405, 'method_not_allowed', undef],
    ['GET on /complete', GET => '/twoway/complete', undef, undef, {}, 405, 'method_not_allowed', undef],
    ['PUT on /complete', PUT => '/twoway/complete', qq({"flow":"$flow","data":"123456"}), 'application/json', {}, 405, 'method_not_allowed', undef],
    ['DELETE on /token', DELETE => '/twoway/token', undef, undef, {}, 405, 'method_not_allowed', undef],
    ['POST on an unknown sub-path', POST => '/twoway/nope', '{}', 'application/json', {}, 404, 'not_found', undef],
    ['POST on /init/more', POST => '/twoway/init/more', undef, undef, {}, 404, 'not_found', undef],
    ['GET on an unknown sub-path', GET => '/twoway/verify', undef, undef, {}, 404, 'not_found', undef],
    ['init with a foreign Origin', POST => '/twoway/init', undef, undef, {Origin => 'https://evil.example'}, 403, 'bad_origin', undef],
    ['complete sent cross-site', POST => '/twoway/complete', qq({"flow":"$flow","data":"123456"}), 'application/json', {'Sec-Fetch-Site' => 'cross-site'}, 403, 'bad_origin', undef],
    # The portal (as pia, logged in).
    ['portal without data', POST => '/portal', '{}', 'application/json', {%pia}, 400, 'missing_element', 'data'],
    ['portal with an empty data', POST => '/portal', '{"data":""}', 'application/json', {%pia}, 400, 'missing_element', 'data'],
    ['portal with a number as data', POST => '/portal', '{"data":123456}', 'application/json', {%pia}, 400, 'invalid_element', 'data'],
    ['portal with punctuation in data', POST => '/portal', '{"data":"12-34"}', 'application/json', {%pia}, 400, 'invalid_element', 'data'],
    ['portal with bad JSON', POST => '/portal', '{"data"', 'application/json', {%pia}, 400, 'malformed_request', undef],
    ['portal with a JSON list', POST => '/portal', '["123456"]', 'application/json', {%pia}, 400, 'malformed_request', undef],
    ['portal with a body over 8 KiB', POST => '/portal', '{"data":"1","x":"' . ('a' x 9000) . '"}', 'application/json', {%pia}, 413, 'body_too_large', undef],
    ['portal form over 8 KiB', POST => '/portal', $big_form, 'application/x-www-form-urlencoded', {%pia}, 413, 'body_too_large', undef],
    ['portal as text/plain', POST => '/portal', '{"data":"123456"}', 'text/plain', {%pia}, 415, 'unsupported_media_type', undef],
    ['portal as multipart', POST => '/portal', "--x\r\n\r\n--x--\r\n", 'multipart/form-data; boundary=x', {%pia}, 415, 'unsupported_media_type', undef],
    ['portal form without csrf', POST => '/portal', 'data=123456', 'application/x-www-form-urlencoded', {%pia}, 400, 'missing_element', 'csrf'],
    ['portal form with a forged csrf', POST => '/portal', 'data=123456&csrf=forged', 'application/x-www-form-urlencoded', {%pia}, 403, 'bad_origin', 'csrf'],
    ['portal form with bad percent-encoding', POST => '/portal', 'data=%zz&csrf=%', 'application/x-www-form-urlencoded', {%pia}, 400, 'malformed_request', undef],
    ['PUT on the portal', PUT => '/portal', '{"data":"123456"}', 'application/json', {%pia}, 405, 'method_not_allowed', undef],
    ['portal JSON with a foreign Origin', POST => '/portal', '{"data":"123456"}', 'application/json', {%pia, Origin => 'https://evil.example'}, 403, 'bad_origin', undef],
    ['portal JSON sent cross-site', POST => '/portal', '{"data":"123456"}', 'application/json', {%pia, 'Sec-Fetch-Site' => 'cross-site'}, 403, 'bad_origin', undef],
);
# Form posts whose code field is wrong come from the page: they get the page back (400), saying
# what to do.
my @page_cases = (
    ['portal form with data twice', 'data=1&data=2&csrf=x'],
    ['portal form with an empty data', 'data=&csrf=x'],
    ['portal form with a data of spaces', 'data=++&csrf=x'],
);
plan tests => 4 * @cases + 3 * @page_cases + 12;

for my $c (@cases) {
    my ($what, $method, $path, $body, $type, $headers, $http, $error, $element) = @$c;
    my ($res, $b) = $tw->call($path, $body, method => $method, content_type => $type,
                              %$headers ? (headers => $headers) : ());
    $b //= {};
    is $res->code, $http, "$what: $http";
    # POST <twoway>/token is the verify API's call (README "Session tokens"): its bad bodies may
    # answer in that API's form ({"status":"ERROR","errorCode":1000,...}).
    my $status = $path =~ m{/token$} && ($b->{status} // '') eq 'ERROR' ? 4000 : $b->{status};
    is_deeply [$status, $b->{error}], [4000, $error], "... status 4000, error $error"
        or diag $res->as_string;
    is $b->{element}, $element, '... element ' . ($element // 'none');
    like $res->header('Content-Type') // '', qr{^application/json}, '... JSON';
}

for my $c (@page_cases) {
    my ($what, $body) = @$c;
    my ($res) = $tw->call('/portal', $body, content_type => 'application/x-www-form-urlencoded', headers => {%pia});
    is $res->code, 400, "$what: 400";
    like $res->header('Content-Type') // '', qr{^text/html}, '... the page';
    like $res->content, qr{<div id="twoway-status" role="alert" class="status status-error">Enter the code from your app\.</div>},
        '... saying "Enter the code from your app."';
}

my ($res) = $tw->call('/twoway/init', undef, method => 'GET');
is $res->header('Allow'), 'POST', 'GET on /init: Allow: POST';

# A chunked body over 8 KiB (no Content-Length to check beforehand).
my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10) or die "connect: $!";
print $sock "POST /twoway/complete HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nContent-Type: application/json\r\n",
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
for my $piece (unpack '(a1000)*', $big) { printf $sock "%x\r\n%s\r\n", length $piece, $piece }
print $sock "0\r\n\r\n";
my $answer = do { local $/; <$sock> } // '';
close $sock;
like $answer, qr{^HTTP/1\.1 413 }, 'a chunked complete over 8 KiB: 413';
like $answer, qr/"status":4000,"error":"body_too_large"/, '... body_too_large';

# Half a request: the client goes away in the middle of the body.
$sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 10) or die "connect: $!";
print $sock "POST /twoway/complete HTTP/1.1\r\nHost: 127.0.0.1:$port\r\nContent-Type: application/json\r\n",
            "Content-Length: 500\r\n\r\n{\"flow\":\"";
close $sock;

# The server still answers, and a whole flow works.
my $b;
($res, $b) = $tw->init;
is_deeply [$res->code, $b && $b->{status}], [200, 2000], 'afterwards: init 200 2000';
my ($flow_id, $code) = $b ? @$b{qw(flow data)} : ('', '');
($res, $b) = $tw->enter('pia', $code);
is_deeply [$res->code, $b && $b->{status}], [200, 2000], '... the portal step 200 2000';
($res, $b) = $tw->complete($flow_id, $b->{data} // '');
is_deeply [$res->code, $b && $b->{status}, $b && $b->{user}], [200, 2000, 'pia'], '... complete 200 2000 pia';
# pia's wrong guesses above were refused before the portal step: none counted towards her lockout.
($res, $b) = $tw->complete($flow_id, '123456');
is $res->code, 410, '... and it is finished (410)';

my $log = $tw->error_log;
unlike $log, qr/exit signal|Segmentation|AH00052/, 'no child crashed';
unlike $log, qr/internal error/, 'no internal error';
my @events = $tw->events;
is scalar(grep { ($_->{pipe} // '') eq 'two-way' && ($_->{IDENTIFIER} // '') eq 'pia' && $_->{event_id} eq 'WEB_100020' } @events), 0,
    'no malformed portal request was compared (no WEB_100020 for pia)';
is scalar(grep { $_->{event_id} eq 'WEB_100033' } @events), 1, 'the refused inits started no flow (one WEB_100033)';
ok $tw->stop, 'the server stops';
