# Two-way steps under parallel requests (README "Two-way OTP API", Rules), counted on the
# server's side from the event log:
#  - 20 parallel inits: 20 flows, 20 different client codes;
#  - 20 portal users enter one client code at once: exactly one gets the response (2000), the
#    others 5000 invalid_code, one WEB_100034; the flow completes for that one user;
#  - 20 parallel completes with the right response: exactly one 2000, one WEB_100019;
#  - 20 parallel wrong responses: at most OTPAllowedRetry of them compared (WEB_100020 with
#    pipe two-way and the flow's reference; 2, and 3 where OTPAllowedRetry 3), no 2000, then
#    even the right response is 5000; the user is not locked out by the ones not compared.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP;
use OTPTest qw(parallel_results);
use TwoWayTest;

plan tests => 28;

my @crowd = map { sprintf 'u%02d', $_ } 1 .. 20;
my $tw = TwoWayTest->new(users => [@crowd, qw(racer guesser guesser3)]);
$tw->start(ready => '/portal', conf => [
    $tw->twoway_location('/twoway', 'OTPTwoWayInitRate 1000'),
    $tw->twoway_location('/twoway3', 'OTPTwoWayInitRate 1000', 'OTPAllowedRetry 3'),
    $tw->portal_location('/portal'),
]);

# One line per answer: "HTTP status error data user".
sub line { my ($res, $b) = @_; return join ' ', $res->code, map { $_ // '-' } @$b{qw(status error data user)} }
sub count { my ($pattern, @lines) = @_; return scalar grep { /$pattern/ } @lines }
sub ref_of {
    my ($code_count) = @_;
    my @started = grep { $_->{event_id} eq 'WEB_100033' } $tw->events;
    return $started[-1] ? $started[-1]{IDENTIFIER} : '';
}

# ---- 20 parallel inits ----------------------------------------------------------------------
my @inits = map { decode_json($_) } map { s/^\d+ //r } parallel_results(20, sub {
    my ($res, $b) = $tw->init;
    return $res->code . ' ' . encode_json($b);
});
is scalar(grep { ($_->{status} // 0) == 2000 } @inits), 20, '20 parallel inits: 20 times 2000';
my %flows = map { ($_->{flow} // '' => 1) } @inits;
my %codes = map { ($_->{data} // '' => 1) } @inits;
is scalar(keys %flows), 20, '... 20 different flows';
is scalar(keys %codes), 20, '... 20 different client codes';

# ---- 20 portal users, one client code ---------------------------------------------------------
my ($flow, $code) = @{ $inits[0] }{qw(flow data)};
my @lines = parallel_results(20, sub {
    my ($i) = @_;
    return "$crowd[$i - 1] " . line($tw->enter($crowd[$i - 1], $code));
});
note join "\n", @lines;
is count(qr/^\S+ 200 2000 - \d{6} -$/, @lines), 1, '20 portal users enter one client code at once: exactly one 200 2000 with a response';
is count(qr/^\S+ 410 5000 invalid_code - -$/, @lines), 19, '... 19 get 410 5000 invalid_code';
my ($winner_line) = grep { / 200 2000 / } @lines;
my ($winner, $response) = $winner_line ? (split ' ', $winner_line)[0, 4] : ('', '');
my @all = $tw->events;
my $ref = (map { $_->{flow} } grep { $_->{event_id} eq 'WEB_100034' && ($_->{IDENTIFIER} // '') eq $winner } @all)[0] // '';
like $ref, qr/^[0-9a-f]{16}$/, "... WEB_100034 for $winner, with a flow reference";
is scalar(grep { $_->{event_id} eq 'WEB_100034' } @all), 1, '... one WEB_100034 in all';
is scalar(grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'replay' } @all), 19, '... 19 WEB_100020 reason replay';
my ($res, $b) = $tw->complete($flow, $response);
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, $winner], "... the flow completes for $winner";

# ---- 20 parallel completes with the right response ---------------------------------------------------
(undef, $b) = $tw->enter('racer', $inits[1]{data});
($flow, $response) = ($inits[1]{flow}, $b->{data} // '');
like $response, qr/^\d{6}$/, 'racer entered a client code';
@lines = parallel_results(20, sub { line($tw->complete($flow, $response)) });
note join "\n", @lines;
is count(qr/^200 2000 - - racer$/, @lines), 1, '20 parallel completes with the right response: exactly one 200 2000 (racer)';
# Which 5000 the others get depends on when they looked (completed, expired once the flow is
# deleted, retries_exhausted once the losers used up the flow's retries).
is count(qr/^410 5000 (completed|expired|retries_exhausted) - -$/, @lines), 19, '... 19 times 410 5000';
@all = $tw->events;
$ref = (map { $_->{flow} } grep { $_->{event_id} eq 'WEB_100034' && ($_->{IDENTIFIER} // '') eq 'racer' } @all)[0] // 'none';
is scalar(grep { $_->{event_id} eq 'WEB_100019' && ($_->{flow} // '') eq $ref } @all), 1, '... one WEB_100019 for the flow';
is scalar(grep { $_->{event_id} eq 'WEB_100020' && ($_->{flow} // '') eq $ref && ($_->{reason} // '') eq 'invalid_otp' } @all), 0,
    '... no right response was taken for a wrong one';

# ---- 20 parallel wrong responses ------------------------------------------------------------------
sub wrong_race {
    my ($user, $init, $loc, $allowed) = @_;
    my (undef, $p) = $tw->enter($user, $init->{data});
    my ($flow, $right) = ($init->{flow}, $p->{data} // '');
    my @wrong = map { sprintf '%06d', ($right + $_) % 1_000_000 } 1 .. 20;
    my @lines = parallel_results(20, sub { my ($i) = @_; line($tw->complete($flow, $wrong[$i - 1], $loc)) });
    note join "\n", @lines;
    my @events = $tw->events;
    my $ref = (map { $_->{flow} } grep { $_->{event_id} eq 'WEB_100034' && ($_->{IDENTIFIER} // '') eq $user } @events)[0] // 'none';
    my $compared = grep { $_->{event_id} eq 'WEB_100020' && ($_->{flow} // '') eq $ref && ($_->{pipe} // '') eq 'two-way' } @events;
    ok $compared >= 1 && $compared <= $allowed,
        "20 parallel wrong responses ($loc, OTPAllowedRetry $allowed): $compared compared (WEB_100020 pipe two-way), at most $allowed";
    is count(qr/^(401 4001 wrong_response|410 5000 (retries_exhausted|expired|completed)) - -$/, @lines), 20,
        '... every answer 401 4001 wrong_response or 410 5000';
    ok count(qr/^401 4001/, @lines) <= $allowed - 1, '... at most ' . ($allowed - 1) . ' times 4001';
    ok count(qr/ retries_exhausted /, @lines) >= 1, '... at least one 5000 retries_exhausted';
    my ($res, $b) = $tw->complete($flow, $right, $loc);
    is_deeply [$res->code, $b->{status}], [410, 5000], '... then the right response: 410 5000';
    return ($ref, $compared);
}
my ($ref2, $compared2) = wrong_race('guesser', $inits[2], '/twoway', 2);
# A flow completes only at the location that started it: /twoway3's own.
my (undef, $init3) = $tw->init('/twoway3');
my ($ref3, $compared3) = wrong_race('guesser3', $init3, '/twoway3', 3);

# Only the compared responses count towards the user's OTPLockout (5): guesser3 is not locked.
(undef, $b) = $tw->enter('guesser3', $inits[4]{data});
is $b->{status}, 2000, 'guesser3 enters another client code: 2000 (not locked out)';
($res, $b) = $tw->complete($inits[4]{flow}, $b->{data} // '');
is_deeply [$res->code, $b->{user}], [200, 'guesser3'], '... and it completes';

unlike $tw->error_log, qr/exit signal|internal error|Segmentation/, 'no crash, no internal error';
ok $tw->stop, 'the server stops';
