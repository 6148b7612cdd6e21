# OTPTwoWayCode 8 alphanumeric (README): codes of 8 characters without look-alikes, accepted in
# either case. The app's location shapes the client codes, the portal's the responses:
#  - both alphanumeric: a client code typed in lower case (and in mixed case) at the portal
#    works, and so does a response typed in lower case at complete;
#  - an alphanumeric app with a portal of the default (6 numeric) responses: the client code in
#    lower case is accepted there too, and the portal page's field takes an 8-character
#    alphanumeric code;
#  - a numeric app with the alphanumeric portal: its 8-character responses are accepted in
#    lower case at complete.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(new_client);
use TwoWayTest;

plan tests => 26;

my $tw = TwoWayTest->new(users => [qw(rita sam tove ulf vera walt)]);
$tw->start(ready => '/portal-a', conf => [
    $tw->twoway_location('/twoway-a', 'OTPTwoWayCode 8 alphanumeric'),
    $tw->twoway_location('/twoway-n'),
    $tw->portal_location('/portal-a', 'OTPTwoWayCode 8 alphanumeric'),
    $tw->portal_location('/portal-n'),
]);

my @codes;
sub init { my ($loc) = @_; my @r = $tw->init($loc); push @codes, $r[1]{data} // (); return @r }
sub enter { my ($loc, $user, $code) = @_; my @r = $tw->enter($user, $code, $loc); push @codes, $r[1]{data} // (); return @r }
# Upper and lower case mixed: "ab3Cd" from "AB3CD".
sub mixed { my ($code) = @_; my $i = 0; return join '', map { $i++ % 2 ? uc : lc } split //, $code }
my $ALNUM = qr/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/;

# ---- the codes ------------------------------------------------------------------------------
my @inits = map { [init('/twoway-a')] } 1 .. 10;
is scalar(grep { $_->[0]->code == 200 } @inits), 10, '10 inits at OTPTwoWayCode 8 alphanumeric: 200';
my @client = map { $_->[1]{data} // '' } @inits;
is scalar(grep { /$ALNUM/ } @client), 10, '... every client code: 8 characters, upper case, none of 0 1 I L O'
    or diag "@client";
ok +(grep { /[A-Z]/ } @client) >= 1, '... letters among them';

# ---- both alphanumeric: lower case ------------------------------------------------------------------
my ($flow, $code) = @{ $inits[0][1] }{qw(flow data)};
my ($res, $b) = enter('/portal-a', 'rita', lc $code);
is_deeply [$res->code, $b->{status}], [200, 2000], "the client code in lower case (@{[lc $code]}) at the alphanumeric portal: 200 2000";
my $response = $b->{data} // '';
like $response, $ALNUM, "... an alphanumeric 8-character response ($response)";
($res, $b) = $tw->complete($flow, lc $response, '/twoway-a');
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'rita'], '... complete with it in lower case: 200 2000 rita';

($flow, $code) = @{ $inits[1][1] }{qw(flow data)};
($res, $b) = enter('/portal-a', 'sam', mixed($code));
is_deeply [$res->code, $b->{status}], [200, 2000], "the client code in mixed case (@{[mixed($code)]}): 200 2000";
($res, $b) = $tw->complete($flow, mixed($b->{data} // ''), '/twoway-a');
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'sam'], '... the response in mixed case: 200 2000 sam';

# A wrong response in lower case is a typo (4001), not a malformed request.
($flow, $code) = @{ $inits[2][1] }{qw(flow data)};
(undef, $b) = enter('/portal-a', 'tove', $code);
$response = $b->{data} // '';
my $wrong = lc(substr($response, 0, 7) . (substr($response, 7) eq 'A' ? 'B' : 'A'));
($res, $b) = $tw->complete($flow, $wrong, '/twoway-a');
is_deeply [$res->code, $b->{status}, $b->{attemptsLeft}], [401, 4001, 1], 'a wrong response in lower case: 401 4001, attemptsLeft 1';
($res, $b) = $tw->complete($flow, $response, '/twoway-a');
is_deeply [$res->code, $b->{user}], [200, 'tove'], '... then the right one: 200 tove';

# ---- the alphanumeric app with a numeric portal -----------------------------------------------------------
($flow, $code) = @{ $inits[3][1] }{qw(flow data)};
($res, $b) = enter('/portal-n', 'ulf', $code);
is_deeply [$res->code, $b->{status}], [200, 2000], 'an alphanumeric client code at the 6-numeric portal, as shown: 200 2000';
like $b->{data} // '', qr/^[0-9]{6}$/, '... the response is 6 digits (the portal\'s OTPTwoWayCode)';
($res, $b) = $tw->complete($flow, $b->{data} // '', '/twoway-a');
is_deeply [$res->code, $b->{user}], [200, 'ulf'], '... complete: 200 ulf';

($flow, $code) = @{ $inits[4][1] }{qw(flow data)};
($res, $b) = enter('/portal-n', 'vera', lc $code);
is_deeply [$res->code, $b->{status}, $b->{error}], [200, 2000, undef],
    'the alphanumeric client code in lower case at the 6-numeric portal: 200 2000 (accepted in either case)';
($res, $b) = $tw->complete($flow, $b->{data} // '', '/twoway-a');
is_deeply [$res->code, $b->{user}], [200, 'vera'], '... complete: 200 vera';

my $page = new_client();
$page->default_header(Authorization => $tw->basic('walt'));
my $html = $page->get($tw->base . '/portal-n')->content;
my ($field) = $html =~ /(<input type="text" id="twoway-code"[^>]*>)/;
ok $field, 'the 6-numeric portal\'s page has the code field';
my ($max) = ($field // '') =~ /maxlength="(\d+)"/;
ok !defined $max || $max >= 8, 'its field takes the 8-character client codes of the app (maxlength ' . ($max // 'none') . ')';
my ($pattern) = ($field // '') =~ /pattern="([^"]*)"/;
ok !defined $pattern || 'S3C8CW7B' =~ /^(?:$pattern)$/, 'its field allows letters (pattern ' . ($pattern // 'none') . ')';
$html = $page->get($tw->base . '/portal-a')->content;
($field) = $html =~ /(<input type="text" id="twoway-code"[^>]*>)/;
($max) = ($field // '') =~ /maxlength="(\d+)"/;
ok !defined $max || $max >= 8, 'the alphanumeric portal\'s field takes 8 characters';
unlike $field // '', qr/inputmode="numeric"|pattern=/, '... and is not numeric only';

# ---- a numeric app with the alphanumeric portal ------------------------------------------------------------
(undef, $b) = init('/twoway-n');
($flow, $code) = @$b{qw(flow data)};
like $code, qr/^[0-9]{6}$/, 'the numeric app\'s client code: 6 digits';
($res, $b) = enter('/portal-a', 'walt', $code);
is_deeply [$res->code, $b->{status}], [200, 2000], '... entered at the alphanumeric portal: 200 2000';
$response = $b->{data} // '';
like $response, $ALNUM, '... an alphanumeric response';
($res, $b) = $tw->complete($flow, lc $response, '/twoway-n');
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'walt'], '... complete with it in lower case: 200 2000 walt (accepted in either case)';

# ---- the logs ---------------------------------------------------------------------------------------------
my $logs = $tw->event_log . $tw->error_log;
my @leaked = grep { length >= 8 && ($logs =~ /\Q$_\E/i) } @codes;
is_deeply \@leaked, [], 'no alphanumeric client code or response in the event log or the error log (either case)';
ok $tw->stop, 'the server stops';
