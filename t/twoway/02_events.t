# The events of two-way flows (README "Two-way OTP API", Events), read from the OTPEventLog of
# a server of the test's own:
#  - WEB_100033 at init: IDENTIFIER the flow's reference (16 hex digits, never the flow id),
#    lifetime; WEB_100034 at the portal step (IDENTIFIER the portal user); WEB_100019 at
#    complete (IDENTIFIER the user); WEB_100020 with reason unknown_user (complete before the
#    portal), invalid_otp (a wrong response, a wrong client code), replay (a code entered
#    twice), expired (an unknown flow); after the retries, nothing more is compared;
#  - the reference is the same in every event of a flow (its `flow`), `pipe` two-way where a
#    code was compared;
#  - the flow id never reaches the event log or the error log, nor does any client code or
#    challenge response.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use TwoWayTest qw(typo);

plan tests => 54;

my $tw = TwoWayTest->new(users => [qw(ivan judy kate leo)]);
$tw->start(global => ['LogLevel debug'], ready => '/portal',
           conf => [$tw->twoway_location('/twoway'), $tw->portal_location('/portal')]);

my (@codes, @flows);    # every code and flow id the server handed out (none may be logged)
sub init {
    my ($res, $b) = $tw->init;
    push @codes, $b->{data} if defined $b->{data};
    push @flows, $b->{flow} if defined $b->{flow};
    return ($res, $b);
}
sub enter {
    my ($user, $code) = @_;
    my ($res, $b) = $tw->enter($user, $code);
    push @codes, $b->{data} if defined $b->{data};
    return ($res, $b);
}

# ---- flow A: complete too early, ivan enters it, a typo, the response, leo too late ----------
my (undef, $a) = init();
my ($flow_a, $code_a) = @$a{qw(flow data)};
my ($res) = $tw->complete($flow_a, '123456');
is $res->code, 409, 'flow A: complete before the portal step (409)';
my (undef, $p) = enter('ivan', $code_a);
my $response_a = $p->{data} // '';
($res) = $tw->complete($flow_a, typo($response_a));
is $res->code, 401, '... ivan entered it; a typo (401)';
($res) = $tw->complete($flow_a, $response_a);
is $res->code, 200, '... the response (200)';
($res) = enter('leo', $code_a);
is $res->code, 410, '... leo enters the code afterwards (410)';
($res) = $tw->complete($flow_a, $response_a);
is $res->code, 410, '... a second complete (410)';

# ---- flow B: judy enters it, two wrong responses, then the right one ---------------------------
my (undef, $bb) = init();
my ($flow_b, $code_b) = @$bb{qw(flow data)};
(undef, $p) = enter('judy', $code_b);
my $response_b = $p->{data} // '';
my @b_statuses = map { ($tw->complete($flow_b, $_))[0]->code } typo($response_b), typo(typo($response_b)), $response_b;
is_deeply \@b_statuses, [401, 410, 410], 'flow B: wrong, wrong, right: 401, 410, 410';

# ---- an unknown flow, a wrong client code --------------------------------------------------------
my $unknown = 'Zm9vYmFyYmF6cXV4MTIzNA';
($res) = $tw->complete($unknown, '123456');
is $res->code, 410, 'an unknown flow (410)';
my %live = map { ($_ => 1) } @codes;
my ($wrong_code) = grep { !$live{$_} } qw(000000 999999 555555);
($res) = enter('kate', $wrong_code);
is $res->code, 410, 'kate enters a code nobody was given (410)';

# ---- the events ------------------------------------------------------------------------------------
my @events = $tw->events;
ok scalar(@events), 'events were written';
my @started = grep { $_->{event_id} eq 'WEB_100033' } @events;
is scalar(@started), 2, 'two WEB_100033 "OTP two-way flow started" (one per init)';
my ($ref_a, $ref_b) = map { $_->{IDENTIFIER} // '' } @started;
like $ref_a, qr/^[0-9a-f]{16}$/, "flow A's IDENTIFIER at init is a reference of 16 hex digits ($ref_a)";
isnt $ref_a, $ref_b, "... flow B's is another ($ref_b)";
ok index($flow_a, $ref_a) < 0 && index($ref_a, $flow_a) < 0, '... not the flow id';
is_deeply [@{ $started[0] }{qw(event lifetime location SOURCE_ADDRESS)}],
    ['OTP two-way flow started', 300, '/twoway', '127.0.0.1'], '... event name, lifetime 300, location, SOURCE_ADDRESS';
ok !exists $started[0]{pipe}, '... no pipe (no code compared at init)';

sub of_flow { my ($ref) = @_; return grep { ($_->{flow} // '') eq $ref } @events }
my @a = of_flow($ref_a);
my @a_ids = map { $_->{event_id} . ($_->{reason} ? ":$_->{reason}" : '') } @a;
note "flow A: @a_ids";
my ($early) = grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'unknown_user' } @a;
ok $early, 'flow A: complete before the portal step wrote WEB_100020 reason unknown_user (with flow)';
is $early && $early->{IDENTIFIER}, $ref_a, '... IDENTIFIER the reference (not coupled yet)';
ok $early && !exists $early->{pipe}, '... no pipe (nothing compared)';

my ($entered) = grep { $_->{event_id} eq 'WEB_100034' } @a;
ok $entered, 'flow A: WEB_100034 at the portal step, with the flow reference';
is_deeply [$entered ? @$entered{qw(event IDENTIFIER location)} : ()], ['OTP two-way code entered', 'ivan', '/portal'],
    '... "OTP two-way code entered", IDENTIFIER ivan (the portal user), location /portal';
is $entered && $entered->{pipe}, 'two-way', '... pipe two-way (a client code was compared)';

my ($typo) = grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'invalid_otp' } @a;
ok $typo, 'flow A: the typo wrote WEB_100020 reason invalid_otp';
is_deeply [$typo ? @$typo{qw(IDENTIFIER pipe location attempts_left)} : ()], ['ivan', 'two-way', '/twoway', 1],
    '... IDENTIFIER ivan (coupled), pipe two-way, location /twoway, attempts_left 1';
my @ok = grep { $_->{event_id} eq 'WEB_100019' } @a;
is scalar(@ok), 1, 'flow A: one WEB_100019';
is_deeply [@ok ? @{ $ok[0] }{qw(event IDENTIFIER pipe location)} : ()], ['OTP validated', 'ivan', 'two-way', '/twoway'],
    '... "OTP validated", IDENTIFIER ivan, pipe two-way, location /twoway';
my ($ok_at) = grep { $a[$_]{event_id} eq 'WEB_100019' } 0 .. $#a;
my @after = defined $ok_at ? grep { $_->{event_id} eq 'WEB_100020' } @a[$ok_at + 1 .. $#a] : ();
is scalar(@after), 1, 'flow A: the second complete wrote one WEB_100020 with the flow reference';
ok @after && !exists $after[0]{pipe}, '... no pipe (nothing compared)';

my ($replay) = grep { $_->{event_id} eq 'WEB_100020' && ($_->{IDENTIFIER} // '') eq 'leo' } @events;
ok $replay, 'leo entering the coupled code wrote WEB_100020 (IDENTIFIER leo)';
is_deeply [$replay ? @$replay{qw(reason pipe location)} : ()], ['replay', 'two-way', '/portal'],
    '... reason replay, pipe two-way, location /portal';
is scalar(grep { ($_->{IDENTIFIER} // '') eq 'leo' && $_->{event_id} eq 'WEB_100034' } @events), 0, '... no WEB_100034 for leo';

my @b = of_flow($ref_b);
note 'flow B: ' . join ' ', map { $_->{event_id} . ($_->{reason} ? ":$_->{reason}" : '') } @b;
my ($b_entered) = grep { $_->{event_id} eq 'WEB_100034' } @b;
is $b_entered && $b_entered->{IDENTIFIER}, 'judy', 'flow B: WEB_100034 for judy';
my @b_compared = grep { $_->{event_id} =~ /^WEB_1000(19|20)$/ && ($_->{pipe} // '') eq 'two-way' } @b;
is_deeply [map { [@$_{qw(event_id reason IDENTIFIER attempts_left)}] } @b_compared],
    [['WEB_100020', 'invalid_otp', 'judy', 1], ['WEB_100020', 'invalid_otp', 'judy', 0]],
    'flow B: two comparisons, both invalid_otp for judy (attempts_left 1, 0)';
my @b_refused = grep { $_->{event_id} eq 'WEB_100020' && !exists $_->{pipe} } @b;
is scalar(@b_refused), 1, '... the right response afterwards: one WEB_100020 without pipe (not compared)';
ok @b_refused && ($b_refused[0]{reason} // '') =~ /^(retries_exhausted|expired)$/,
    '... reason retries_exhausted or expired: ' . (@b_refused ? $b_refused[0]{reason} // '' : '');
is scalar(grep { $_->{event_id} eq 'WEB_100019' } @b), 0, '... no WEB_100019 for flow B';

my @u = grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'expired'
               && ($_->{flow} // '') ne $ref_a && ($_->{flow} // '') ne $ref_b } @events;
is scalar(@u), 1, 'the unknown flow: one WEB_100020 reason expired';
like $u[0] && $u[0]{IDENTIFIER} // '', qr/^[0-9a-f]{16}$/, '... IDENTIFIER a reference of 16 hex digits';
is $u[0] && $u[0]{flow}, $u[0] && $u[0]{IDENTIFIER}, '... the same as its flow';
ok $u[0] && index($u[0]{IDENTIFIER}, $unknown) < 0 && !grep({ index($_, $unknown) >= 0 } values %{ $u[0] }),
    '... the flow id sent is nowhere in it';

my ($kate) = grep { ($_->{IDENTIFIER} // '') eq 'kate' } @events;
ok $kate, "kate's wrong client code wrote an event";
is_deeply [$kate ? @$kate{qw(event_id reason pipe location)} : ()], ['WEB_100020', 'invalid_otp', 'two-way', '/portal'],
    '... WEB_100020 invalid_otp, pipe two-way, location /portal';

# Every request event: the usual fields.
my @bad = grep { ($_->{SOURCE_ADDRESS} // '') ne '127.0.0.1' || ($_->{request_id} // '') !~ /^[0-9a-f]{24}$/
                 || ($_->{time} // '') !~ /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ } @events;
is scalar(@bad), 0, 'every event has time, SOURCE_ADDRESS 127.0.0.1 and a request_id' or diag explain \@bad;
is scalar(grep { ($_->{event_id} // '') eq 'WEB_100034' } @events), 2, 'two WEB_100034 in all (ivan, judy)';
is scalar(grep { ($_->{event_id} // '') eq 'WEB_100019' } @events), 1, 'one WEB_100019 in all';
my %refs = map { ($_->{flow} => 1) } grep { defined $_->{flow} } @events;
is_deeply [sort keys %refs], [sort $ref_a, $ref_b, $u[0] ? $u[0]{IDENTIFIER} : 'none'],
    'the flow field of every event names one of the three flows';

# ---- nothing secret in the logs -----------------------------------------------------------------
my $event_log = $tw->event_log;
my $error_log = $tw->error_log;
ok length($error_log) > 0, 'the error log has lines (LogLevel debug)';
like $error_log, qr/two-way/, '... two-way lines among them';
is scalar(grep { index($event_log, $_) >= 0 } @flows, $unknown), 0, 'no flow id in the event log';
is scalar(grep { index($error_log, $_) >= 0 } @flows, $unknown), 0, 'no flow id in the error log';
# Codes are 6 digits: left out are the digits that are no code (timestamps, hex ids).
sub scrubbed {
    my ($text) = @_;
    $text =~ s/\d\d:\d\d:\d\d\.\d+//g;      # times
    $text =~ s/\b[0-9a-f]{16,}\b//g;        # request ids, flow references
    $text =~ s/"time":"[^"]*"//g;
    return $text;
}
is scalar(@codes), 4, 'four codes were handed out (2 client codes, 2 responses)';
my @in_events = grep { scrubbed($event_log) =~ /(?<![0-9])\Q$_\E(?![0-9])/ } @codes, $wrong_code;
is_deeply \@in_events, [], 'no client code, response or typed code in the event log';
my @in_errors = grep { scrubbed($error_log) =~ /(?<![0-9])\Q$_\E(?![0-9])/ } @codes, $wrong_code;
is_deeply \@in_errors, [], 'no client code, response or typed code in the error log';
unlike $error_log, qr/exit signal|internal error|Segmentation/, 'no crash, no internal error';
ok $tw->stop, 'the server stops';
