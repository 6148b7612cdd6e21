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
use MIME::Base64 qw(encode_base64);
use OTPTest qw(api_call read_events slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client);

plan tests => 26;

my $dir = standalone_dir();
my $port = free_port();
my $base = "http://127.0.0.1:$port";
my @users = qw(rita sam tove ulf vera walt);
my %PW = map { ($_ => "pw-$_-first") } @users;
for my $i (0 .. $#users) {
    system('sh', '-c', 'htpasswd "$@" 2>/dev/null', 'htpasswd', $i ? '-bm' : '-cbm', "$dir/htpasswd",
           $users[$i], $PW{$users[$i]}) == 0 or die 'htpasswd failed';
}
my $portal = <<"END";
    SetHandler otp-twoway-portal
    AuthType Basic
    AuthName "Portal"
    AuthBasicProvider file
    AuthUserFile "$dir/htpasswd"
    Require valid-user
END
write_standalone_conf(dir => $dir, port => $port, modules => ['authn_file'], body => <<"END");
OTPEventLog "$dir/events.log"
<Location /twoway-a>
    SetHandler otp-twoway
    OTPTwoWayCode 8 alphanumeric
    Require all granted
</Location>
<Location /twoway-n>
    SetHandler otp-twoway
    Require all granted
</Location>
<Location /portal-a>
$portal    OTPTwoWayCode 8 alphanumeric
</Location>
<Location /portal-n>
$portal</Location>
END
start_standalone($dir, new_client(), "$base/portal-a");

sub call {
    my ($path, $body, %opt) = @_;
    my ($res, $json) = api_call("$base$path", $body, %opt);
    return ($res, $json // {});
}
sub as { my ($user) = @_; return (headers => {Authorization => 'Basic ' . encode_base64("$user:$PW{$user}", '')}) }
my @codes;
sub init { my ($loc) = @_; my @r = call("$loc/init", undef); push @codes, $r[1]{data} // (); return @r }
sub enter { my ($loc, $user, $code) = @_; my @r = call($loc, {data => $code}, as($user)); push @codes, $r[1]{data} // (); return @r }
sub complete { my ($loc, $flow, $response) = @_; return call("$loc/complete", {flow => $flow, data => $response}) }
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
($res, $b) = complete('/twoway-a', $flow, lc $response);
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'rita'], '... complete with it in lower case: 200 2000 rita';

($flow, $code) = @{ $inits[1][1] }{qw(flow data)};
($res, $b) = enter('/portal-a', 'sam', mixed($code));
is_deeply [$res->code, $b->{status}], [200, 2000], "the client code in mixed case (@{[mixed($code)]}): 200 2000";
($res, $b) = complete('/twoway-a', $flow, mixed($b->{data} // ''));
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'sam'], '... the response in mixed case: 200 2000 sam';

# A wrong response in lower case is a typo (4001), not a malformed request.
($flow, $code) = @{ $inits[2][1] }{qw(flow data)};
(undef, $b) = enter('/portal-a', 'tove', $code);
$response = $b->{data} // '';
my $wrong = lc(substr($response, 0, 7) . (substr($response, 7) eq 'A' ? 'B' : 'A'));
($res, $b) = complete('/twoway-a', $flow, $wrong);
is_deeply [$res->code, $b->{status}, $b->{attemptsLeft}], [401, 4001, 1], 'a wrong response in lower case: 401 4001, attemptsLeft 1';
($res, $b) = complete('/twoway-a', $flow, $response);
is_deeply [$res->code, $b->{user}], [200, 'tove'], '... then the right one: 200 tove';

# ---- the alphanumeric app with a numeric portal -----------------------------------------------------------
($flow, $code) = @{ $inits[3][1] }{qw(flow data)};
($res, $b) = enter('/portal-n', 'ulf', $code);
is_deeply [$res->code, $b->{status}], [200, 2000], 'an alphanumeric client code at the 6-numeric portal, as shown: 200 2000';
like $b->{data} // '', qr/^[0-9]{6}$/, '... the response is 6 digits (the portal\'s OTPTwoWayCode)';
($res, $b) = complete('/twoway-a', $flow, $b->{data} // '');
is_deeply [$res->code, $b->{user}], [200, 'ulf'], '... complete: 200 ulf';

($flow, $code) = @{ $inits[4][1] }{qw(flow data)};
($res, $b) = enter('/portal-n', 'vera', lc $code);
is_deeply [$res->code, $b->{status}, $b->{error}], [200, 2000, undef],
    'the alphanumeric client code in lower case at the 6-numeric portal: 200 2000 (accepted in either case)';
($res, $b) = complete('/twoway-a', $flow, $b->{data} // '');
is_deeply [$res->code, $b->{user}], [200, 'vera'], '... complete: 200 vera';

my $page = new_client();
$page->default_header(Authorization => 'Basic ' . encode_base64("walt:$PW{walt}", ''));
my $html = $page->get("$base/portal-n")->content;
my ($field) = $html =~ /(<input type="text" id="twoway-code"[^>]*>)/;
ok $field, 'the 6-numeric portal\'s page has the code field';
my ($max) = ($field // '') =~ /maxlength="(\d+)"/;
ok !defined $max || $max >= 8, 'its field takes the 8-character client codes of the app (maxlength ' . ($max // 'none') . ')';
my ($pattern) = ($field // '') =~ /pattern="([^"]*)"/;
ok !defined $pattern || 'S3C8CW7B' =~ /^(?:$pattern)$/, 'its field allows letters (pattern ' . ($pattern // 'none') . ')';
$html = $page->get("$base/portal-a")->content;
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
($res, $b) = complete('/twoway-n', $flow, lc $response);
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'walt'], '... complete with it in lower case: 200 2000 walt (accepted in either case)';

# ---- the logs ---------------------------------------------------------------------------------------------
my $logs = slurp("$dir/events.log") . slurp("$dir/error_log");
my @leaked = grep { length >= 8 && ($logs =~ /\Q$_\E/i) } @codes;
is_deeply \@leaked, [], 'no alphanumeric client code or response in the event log or the error log (either case)';
ok stop_standalone($dir), 'the server stops';
