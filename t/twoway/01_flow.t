# The two-way OTP API end to end (README "Two-way OTP API"): every status of the table with
# its HTTP status, on a server of the test's own whose portal is behind AuthType Basic with
# mod_authn_file (so r->user is the portal user):
#  - 2000: init, the portal step, complete (the coupled user and a session token that is VALID
#    at <twoway>/token; a tampered one is not);
#  - 4001 for a typo, then 2000 with the right response; 4002 before the portal step (three of
#    them count nothing);
#  - 5000 for an unknown flow, a second portal user, the same user entering the code again,
#    retries used up (OTPAllowedRetry 2 and 3; then even the right response), and a second
#    complete of a finished flow;
#  - a portal without a login: 401 {"status":4010}, the code it was sent stays usable.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use TwoWayTest qw(summary typo);

plan tests => 62;

my $tw = TwoWayTest->new(users => [qw(alice bob carol dave erin frank gina hugo)]);
$tw->start(global => ['LogLevel info'], ready => '/open-portal', conf => [
    $tw->twoway_location('/twoway', 'OTPTwoWayInitRate 1000'),
    $tw->twoway_location('/twoway3', 'OTPTwoWayInitRate 1000', 'OTPAllowedRetry 3'),
    $tw->portal_location('/portal'),
    "<Location /open-portal>\n    SetHandler otp-twoway-portal\n    Require all granted\n</Location>\n",
]);

# A flow that a portal user has entered: (flow id, client code, response).
sub coupled {
    my ($user, $loc) = @_;
    my (undef, $i) = $tw->init($loc);
    my (undef, $p) = $tw->enter($user, $i->{data} // '');
    return ($i->{flow} // '', $i->{data} // '', $p->{data} // '');
}

# ---- 2000 end to end -----------------------------------------------------------------------
my ($res, $b) = $tw->init;
is $res->code, 200, 'init: 200';
like $res->header('Content-Type') // '', qr{^application/json}, '... JSON';
is_deeply [sort keys %$b], [qw(data expiresIn flow status)], '... status, data, flow, expiresIn';
is $b->{status}, 2000, '... status 2000';
like $b->{data} // '', qr/^[0-9]{6}$/, '... a 6-digit client code (OTPTwoWayCode 6 numeric)';
like $b->{flow} // '', qr/^[A-Za-z0-9_-]{22}$/, '... a 22-character base64url flow id';
is $b->{expiresIn}, 300, '... expiresIn 300 (OTPTwoWayLifetime default)';
my ($flow, $code) = @$b{qw(flow data)};

($res, $b) = $tw->enter('alice', $code);
is $res->code, 200, 'portal (alice): 200';
is_deeply [sort keys %$b], [qw(data status)], '... status and data';
is $b->{status}, 2000, '... status 2000';
like $b->{data} // '', qr/^[0-9]{6}$/, '... a 6-digit challenge response';
my $response = $b->{data} // '';

($res, $b) = $tw->enter('bob', $code);
is_deeply summary($res, $b), [410, 5000, 'invalid_code'], 'a second portal user (bob) enters the same code: 410 5000 invalid_code';
($res, $b) = $tw->enter('alice', $code);
is_deeply summary($res, $b), [410, 5000, 'invalid_code'], 'alice enters it again: 410 5000 invalid_code (coupled once)';

($res, $b) = $tw->complete($flow, $response);
is $res->code, 200, 'complete with the response: 200';
is $b->{status}, 2000, '... status 2000';
is $b->{user}, 'alice', '... user alice (the first portal user, not bob)';
my $token = ref $b->{token} eq 'HASH' ? $b->{token} : {};
is $token->{type}, 'session', '... a session token';
like $token->{value} // '', qr/^[A-Za-z0-9_-]{40,}$/, '... its value is base64url';
is $token->{expiresIn}, 28800, '... expiresIn 28800 (OTPSessionLifetime)';

($res, $b) = $tw->call('/twoway/token', {token => $token->{value} // ''});
is $res->code, 200, 'POST /twoway/token with it: 200';
is_deeply [@$b{qw(status userName)}], ['VALID', 'alice'], '... VALID, userName alice';
my $tampered = $token->{value} // 'x';
substr($tampered, 20, 1) = substr($tampered, 20, 1) eq 'A' ? 'B' : 'A';
($res, $b) = $tw->call('/twoway/token', {token => $tampered});
is_deeply [$res->code, $b->{errorCode}, $b->{error}], [401, 2004, 'invalid_token'], 'a tampered token: 401 2004 invalid_token';

($res, $b) = $tw->complete($flow, $response);
is_deeply [$res->code, $b->{status}], [410, 5000], 'a second complete of the finished flow, right response: 410 5000';
ok +($b->{error} // '') =~ /^(completed|expired)$/, "... error completed (or expired: the flow is deleted): $b->{error}"
    or diag explain $b;
($res, $b) = $tw->enter('bob', $code);
is_deeply summary($res, $b), [410, 5000, 'invalid_code'], '... and its client code is gone at the portal: 410 5000 invalid_code';

# ---- 4001 then 2000 -------------------------------------------------------------------------
($flow, $code, $response) = coupled('carol');
like $response, qr/^[0-9]{6}$/, 'carol entered a fresh client code';
($res, $b) = $tw->complete($flow, typo($response));
is_deeply [@{ summary($res, $b) }, $b->{attemptsLeft}], [401, 4001, 'wrong_response', 1],
    'complete with a typo: 401 4001 wrong_response, attemptsLeft 1';
($res, $b) = $tw->complete($flow, $response);
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'carol'], '... then the right response: 200 2000 carol';

# ---- 4002 -------------------------------------------------------------------------------------
(undef, $b) = $tw->init;
($flow, $code) = @$b{qw(flow data)};
for my $n (1 .. 3) {
    ($res, $b) = $tw->complete($flow, '123456');
    is_deeply summary($res, $b), [409, 4002, 'not_entered'], "complete before the portal step ($n): 409 4002 not_entered";
}
(undef, $b) = $tw->enter('dave', $code);
$response = $b->{data} // '';
like $response, qr/^[0-9]{6}$/, '... then dave enters the code: a response';
($res, $b) = $tw->complete($flow, typo($response));
is_deeply [@{ summary($res, $b) }, $b->{attemptsLeft}], [401, 4001, 'wrong_response', 1],
    '... a typo: 4001 with attemptsLeft 1 (the 4002s counted nothing)';
($res, $b) = $tw->complete($flow, $response);
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'dave'], '... the right response: 2000 dave';

# ---- 5000: unknown flows ------------------------------------------------------------------------
($res, $b) = $tw->complete('AAAAAAAAAAAAAAAAAAAAAA', '123456');
is_deeply summary($res, $b), [410, 5000, 'expired'], 'an unknown flow of the right shape: 410 5000 expired';
($res, $b) = $tw->complete('not-a-flow', '123456');
is_deeply summary($res, $b), [410, 5000, 'expired'], 'a flow id of another shape: 410 5000 expired';
($res, $b) = $tw->enter('dave', '000000') ;
is_deeply summary($res, $b), [410, 5000, 'invalid_code'], 'the portal with a client code nobody was given: 410 5000 invalid_code';

# ---- 5000: retries used up ------------------------------------------------------------------------
($flow, $code, $response) = coupled('erin');
($res, $b) = $tw->complete($flow, typo($response));
is_deeply [@{ summary($res, $b) }, $b->{attemptsLeft}], [401, 4001, 'wrong_response', 1], 'OTPAllowedRetry 2: first wrong response 4001, attemptsLeft 1';
($res, $b) = $tw->complete($flow, typo(typo($response)));
is_deeply summary($res, $b), [410, 5000, 'retries_exhausted'], '... the second: 410 5000 retries_exhausted';
($res, $b) = $tw->complete($flow, $response);
is_deeply [$res->code, $b->{status}], [410, 5000], '... then even the right response: 410 5000';
isnt $b->{user}, 'erin', '... and no user';

($flow, $code, $response) = coupled('frank', '/twoway3');
my @left;
for my $n (1 .. 2) {
    ($res, $b) = $tw->complete($flow, typo($response), '/twoway3');
    push @left, [@{ summary($res, $b) }, $b->{attemptsLeft}];
}
is_deeply \@left, [[401, 4001, 'wrong_response', 2], [401, 4001, 'wrong_response', 1]],
    'OTPAllowedRetry 3: two wrong responses, 4001 with attemptsLeft 2 then 1';
($res, $b) = $tw->complete($flow, typo($response), '/twoway3');
is_deeply summary($res, $b), [410, 5000, 'retries_exhausted'], '... the third: 410 5000 retries_exhausted';
($res, $b) = $tw->complete($flow, $response, '/twoway3');
is_deeply [$res->code, $b->{status}], [410, 5000], '... then the right response: 410 5000';

# ---- the portal without a login ------------------------------------------------------------------
(undef, $b) = $tw->init;
($flow, $code) = @$b{qw(flow data)};
($res, $b) = $tw->call('/open-portal', undef, method => 'GET');
is_deeply [$res->code, $b->{status}, $b->{error}], [401, 4010, 'not_logged_in'], 'GET on a portal without a login: 401 4010 not_logged_in';
like $res->header('Content-Type') // '', qr{^application/json}, '... JSON, not the page';
($res, $b) = $tw->call('/open-portal', {data => $code});
is_deeply [$res->code, $b->{status}, $b->{error}], [401, 4010, 'not_logged_in'], 'POST of a live client code there: 401 4010';
ok !defined $b->{data}, '... no response in it';
($res, $b) = $tw->call('/open-portal', "data=$code", content_type => 'application/x-www-form-urlencoded');
is_deeply [$res->code, $b->{status}], [401, 4010], '... a form post: 401 4010 too';
($res, $b) = $tw->complete($flow, '123456');
is_deeply summary($res, $b), [409, 4002, 'not_entered'], '... the flow is still not entered';
($res, $b) = $tw->enter('gina', $code);
is_deeply [$res->code, $b->{status}], [200, 2000], '... and its code still works at the real portal (gina)';
$response = $b->{data} // '';
($res, $b) = $tw->complete($flow, $response);
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'gina'], '... complete: 2000 gina';

# ---- the portal's own login refuses, the flow is untouched ------------------------------------------
(undef, $b) = $tw->init;
($flow, $code) = @$b{qw(flow data)};
($res, $b) = $tw->call('/portal', {data => $code}, headers => {Authorization => $tw->basic('hugo', 'wrong-password')});
is $res->code, 401, "a wrong portal password: 401 (the portal's login)";
ok !defined $b->{data}, '... no response';
($res, $b) = $tw->enter('hugo', $code);
is_deeply [$res->code, $b->{status}], [200, 2000], '... hugo with his password then enters the code: 2000';
($res, $b) = $tw->complete($flow, $b->{data} // '');
is_deeply [$res->code, $b->{user}], [200, 'hugo'], '... complete: hugo';

# ---- the token is only good at its own location -----------------------------------------------------
($res, $b) = $tw->call('/twoway3/token', {token => $token->{value} // ''});
is_deeply [$res->code, $b->{error}], [401, 'invalid_token'], "alice's token at another two-way location: 401 invalid_token";

# ---- a flow completes only at the location that started it -----------------------------------------
($flow, $code, $response) = coupled('hugo');
($res, $b) = $tw->complete($flow, $response, '/twoway3');
is_deeply [$res->code, $b->{status}, $b->{error}], [410, 5000, 'expired'],
    "a flow started at /twoway is unknown at /twoway3: 410 5000 expired";
($res, $b) = $tw->complete($flow, $response);
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'hugo'], '... and completes at /twoway';

# ---- the server ---------------------------------------------------------------------------------
my $log = $tw->error_log;
my $mpm = $ENV{OTP_MPM} // 'event';
like $log, qr/\[mpm_\Q$mpm\E:notice\]/, "the server ran under mpm_$mpm (the suite's MPM)";
unlike $log, qr/exit signal|internal error|AH00052|Segmentation/, 'no crash and no internal error in the error log';
ok $tw->stop, 'the server stops';
