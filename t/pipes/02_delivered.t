# Delivered codes (README "Delivered codes"): OTPValidationPipe delivered + OTPPrePipe, with a
# real sender program (t/bin/otp-test-sender) that writes what it is given to a file. Logins
# through the JSON start endpoint and the plain form (no JavaScript), AuthType OTP (user name
# first) and Require otp (code sent with the page), lifetime, uses, alphanumeric codes, resend
# limits, an unknown user, the events, and that no code reaches a log.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP;
use HTTP::Request;
use MIME::Base64 qw(encode_base64);
use Digest::SHA qw(sha1);
use Time::HiRes qw(sleep time);
use OTPTest qw(write_files post_json post_start read_events slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client);

plan tests => 69;

my $dir = standalone_dir();
my $port = free_port();
my $sender = "$FindBin::Bin/../bin/otp-test-sender";
my $sent = "$dir/sent.jsonl";
# Every user has a token line: the users file says who the module knows.
my $users = join '', map { "HOTP/T30 $_ - 3132333435363738393031323334353637383930\n" }
    qw(alice bob carl dora erik fay gus hal ivan nomail);
write_files($dir, 'users.oath' => $users,
            'htpasswd' => 'carl:{SHA}' . encode_base64(sha1('first'), '') . "\n",
            'addresses' => "ivan ivan\@example.org\n",
            # The shipped mail sender runs as it is, with this stand-in for sendmail.
            'sendmail' => "#!/bin/sh\nexec /usr/bin/perl '$FindBin::Bin/../bin/fake-sendmail' '$dir/mail.out' \"\$\@\"\n",
            map { ("htdocs/$_/index.html" => "inside $_\n") } qw(sms sms2fa short uses3 alnum mail));
chmod 0755, "$dir/sendmail";
my $mailer = "$FindBin::Bin/../../conf/pipes/otp-send-mail";
write_standalone_conf(dir => $dir, port => $port, modules => ['authn_file'], body => <<"END");
DocumentRoot "$dir/htdocs"
OTPEventLog "$dir/events.log"
OTPUsersFile "$dir/users.oath"
# This test sends many codes from one address; /budget tests the per-address budget.
OTPAddressLockout off
OTPPipe sender exec $sender $sent
OTPPipe mailer exec $mailer --addresses $dir/addresses --from otp\@example.org --sendmail $dir/sendmail
<Location /mail>
    AuthType OTP
    AuthName "Mail"
    OTPValidationPipe delivered
    OTPPrePipe mailer
    Require valid-user
</Location>
<Location /sms>
    AuthType OTP
    AuthName "SMS"
    OTPValidationPipe delivered
    OTPPrePipe sender
    Require valid-user
</Location>
<Location /sms2fa>
    AuthType Basic
    AuthName "First factor"
    AuthBasicProvider file
    AuthUserFile "$dir/htpasswd"
    OTPValidationPipe delivered
    OTPPrePipe sender
    Require otp
</Location>
<Location /budget>
    AuthType OTP
    AuthName "Budget"
    OTPValidationPipe delivered
    OTPPrePipe sender
    OTPAddressLockout 3 300 900
    Require valid-user
</Location>
<Location /short>
    AuthType OTP
    AuthName "Short"
    OTPValidationPipe delivered
    OTPPrePipe sender
    OTPDeliveredLifetime 2
    Require valid-user
</Location>
<Location /uses3>
    AuthType OTP
    AuthName "Uses"
    OTPValidationPipe delivered
    OTPPrePipe sender
    OTPDeliveredUses 3
    Require valid-user
</Location>
<Location /alnum>
    AuthType OTP
    AuthName "Alphanumeric"
    OTPValidationPipe delivered
    OTPPrePipe sender
    OTPDeliveredCode 8 alphanumeric
    Require valid-user
</Location>
END
my $base = "http://127.0.0.1:$port";
start_standalone($dir, new_client(), "$base/sms/");

sub send_code { my ($ua, $loc, $user) = @_; return post_json($ua, "$base$loc/.otp/start", {type => 'send', data => { defined $user ? (user => $user) : () }}) }
sub start { my ($ua, $loc, $user, $otp) = @_; return post_start($ua, "$base$loc/.otp/start", $user, $otp) }
# The newest request the sender got for `user` (waits for it up to 5 s); undef if none.
sub sent_to {
    my ($user, $after) = @_;
    for (1 .. 50) {
        my @mine = grep { $_->{user} eq $user } map { decode_json($_) } grep { /\S/ } split /\n/, slurp($sent);
        return $mine[-1] if @mine > ($after // 0);
        sleep 0.1;
    }
    return undef;
}
sub sent_count { my ($user) = @_; return scalar grep { $_->{user} eq $user } map { decode_json($_) } grep { /\S/ } split /\n/, slurp($sent) }
sub page { my ($ua, $loc, @auth) = @_; my $req = HTTP::Request->new(GET => "$base$loc/index.html"); $req->header(Accept => 'text/html'); $req->authorization_basic(@auth) if @auth; return $ua->request($req) }

# --- AuthType OTP through the JSON endpoint: user name first, then the code.
my $ua = new_client();
my $res = page($ua, '/sms');
is $res->code, 401, 'the page';
like $res->content, qr/<div class="field" id="otp-field" hidden>/, 'the code field waits for a code';
my ($r, $b) = send_code($ua, '/sms', 'alice');
is $r->code, 200, 'send: 200';
is_deeply $b, {status => 'SENT', retry_after => 30}, 'send: SENT with the resend wait';
my $req = sent_to('alice');
ok $req, 'the sender got the request';
is $req->{action}, 'send', 'action send';
like $req->{otp} // '', qr/^[0-9]{6}$/, 'a six-digit code';
is $req->{lifetime}, 300, 'lifetime';
is $req->{location}, '/sms', 'location';
ok length($req->{request_id} // ''), 'request id';
is $req->{locale}, 'en', 'locale';
my $code = $req->{otp};
my $wrong = $code eq '000000' ? '111111' : '000000';
($r, $b) = start($ua, '/sms', 'alice', $wrong);
is $r->code, 401, 'a wrong code: 401';
is $b->{attempts_left}, 1, 'one retry left';
($r, $b) = send_code($ua, '/sms', 'alice');
is $r->code, 429, 'a resend within 30 s: 429';
is $b->{error}, 'resend_too_soon', '... resend_too_soon';
ok(($r->header('Retry-After') // 0) >= 1 && $r->header('Retry-After') <= 30, '... with Retry-After');
($r, $b) = start(new_client(), '/sms', 'bob', $code);
is $r->code, 401, "alice's code does not log bob in";
($r, $b) = start($ua, '/sms', 'alice', $code);
is $r->code, 200, 'the right code: 200';
is $b->{status}, 'COMPLETED', 'COMPLETED';
is page($ua, '/sms')->code, 200, 'the session opens the location';
($r, $b) = start(new_client(), '/sms', 'alice', $code);
is $r->code, 401, 'a used code (uses 1) is refused';
is $b->{error}, 'expired', '... as expired';

# --- An unknown user: the same answers, nothing sent.
my $ghost = new_client();
page($ghost, '/sms');
my ($gr, $gb) = send_code($ghost, '/sms', 'ghost');
is $gr->code, 200, 'unknown user: 200';
is_deeply $gb, {status => 'SENT', retry_after => 30}, 'unknown user: the same body';
($gr, $gb) = send_code($ghost, '/sms', 'ghost');
is $gr->code, 429, 'unknown user: resend limited the same way';
is $gb->{error}, 'resend_too_soon', '... resend_too_soon';
($gr, $gb) = start($ghost, '/sms', 'ghost', '123456');
is $gr->code, 401, 'unknown user: a code is a wrong code';
is $gb->{error}, 'invalid_otp', '... invalid_otp';
sleep 1;
is sent_count('ghost'), 0, 'nothing was sent for the unknown user';
my ($nr) = send_code(new_client(), '/sms', 'nomail');
is $nr->code, 200, 'a user without an address: 200 too';

# --- The plain form (no JavaScript).
my $form = new_client();
$res = page($form, '/sms');
my ($csrf) = $res->content =~ /name="csrf" value="([^"]+)"/;
ok $csrf, 'the page has a CSRF token';
$req = HTTP::Request->new(POST => "$base/sms/.otp/start");
$req->header('Content-Type' => 'application/x-www-form-urlencoded', Accept => 'text/html');
$req->content("csrf=$csrf&user=bob&type=send");
$res = $form->request($req);
is $res->code, 200, 'form send: the page';
unlike $res->content, qr/id="otp-field" hidden/, 'form send: the code field is shown';
like $res->content, qr/id="otp-user"[^>]*readonly/, 'form send: the user name is fixed';
like $res->content, qr/A code has been sent/, 'form send: the notice';
my $bob = sent_to('bob');
ok $bob, 'bob was sent a code';
$req = HTTP::Request->new(POST => "$base/sms/.otp/start");
$req->header('Content-Type' => 'application/x-www-form-urlencoded', Accept => 'text/html');
$req->content("csrf=$csrf&user=bob&otp=$bob->{otp}");
$res = $form->request($req);
is $res->code, 303, 'form login: 303';
is page($form, '/sms')->code, 200, 'form login: the session works';

# --- Require otp: the first factor names the user, the page sends the code.
my $two = new_client();
$res = page($two, '/sms2fa', 'carl', 'first');
is $res->code, 401, 'Require otp: the page';
like $res->content, qr/A code has been sent/, 'Require otp: sent with the page';
my $carl = sent_to('carl');
ok $carl, 'carl was sent a code';
$req = HTTP::Request->new(POST => "$base/sms2fa/.otp/start");
$req->header('Content-Type' => 'application/json', Accept => 'application/json');
$req->authorization_basic('carl', 'first');
$req->content(encode_json({type => 'start', data => {otp => $carl->{otp}}}));
$res = $two->request($req);
is $res->code, 200, 'Require otp: the code logs carl in';
$res = page($two, '/sms2fa', 'carl', 'first');
is $res->code, 200, 'Require otp: the content';

# --- Lifetime: a 2 s code is refused after 3 s.
my $late = new_client();
send_code($late, '/short', 'dora');
my $dora = sent_to('dora');
is $dora->{lifetime}, 2, 'OTPDeliveredLifetime 2 is told to the sender';
sleep 3;
($r, $b) = start($late, '/short', 'dora', $dora->{otp});
is $r->code, 401, 'an expired code: 401';
is $b->{error}, 'expired', '... expired';

# --- Uses: OTPDeliveredUses 3 logs in three times, not a fourth.
send_code(new_client(), '/uses3', 'erik');
my $erik = sent_to('erik');
for my $n (1 .. 3) {
    ($r, $b) = start(new_client(), '/uses3', 'erik', $erik->{otp});
    is $r->code, 200, "use $n of 3";
}
($r, $b) = start(new_client(), '/uses3', 'erik', $erik->{otp});
is $b->{error}, 'expired', 'the 4th use: expired';

# --- Alphanumeric codes: length, charset, either case.
send_code(new_client(), '/alnum', 'fay');
my $fay = sent_to('fay');
like $fay->{otp}, qr/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/, 'eight characters without look-alikes';
($r, $b) = start(new_client(), '/alnum', 'fay', lc $fay->{otp});
is $r->code, 200, 'accepted in lower case';
my %seen;
for my $user (qw(gus hal)) { send_code(new_client(), '/alnum', $user); $seen{$user} = sent_to($user)->{otp} }
isnt $seen{gus}, $seen{hal}, 'codes differ';

# --- Per attempt: at most 5 sends (the 30 s wait is per user, so five users share one attempt).
my $many = new_client();
page($many, '/sms');
my @codes;
for my $user (qw(u1 u2 u3 u4 u5 u6)) { my ($mr, $mb) = send_code($many, '/sms', $user); push @codes, $mr->code }
is_deeply \@codes, [200, 200, 200, 200, 200, 429], 'the 6th send of one attempt: 429';

# --- The shipped mail sender (conf/pipes/otp-send-mail), through httpd.
my $mail_client = new_client();
($r, $b) = send_code($mail_client, '/mail', 'ivan');
is $r->code, 200, 'mail: SENT';
my $mail = '';
for (1 .. 50) { $mail = slurp("$dir/mail.out"); last if $mail; sleep 0.1 }
like $mail, qr/^To: ivan\@example\.org$/m, 'mail: to the address from the addresses file';
my ($mailed) = $mail =~ /one-time code is ([0-9]{6})/;
ok $mailed, 'mail: the body has the code';
($r, $b) = start($mail_client, '/mail', 'ivan', $mailed // 'none');
is $r->code, 200, 'mail: the mailed code logs ivan in';

# --- One client address naming ever new users runs out of sends (OTPAddressLockout 3 300 900).
my @budget = map { (send_code(new_client(), '/budget', "spray$_"))[0] } 1 .. 4;
is_deeply [map { $_->code } @budget], [200, 200, 200, 429], 'the 4th send from one address: 429';
is $budget[3]->header('Retry-After'), 300, '... Retry-After the window';

# --- Events: attempt started, code sent, validated; never a code.
sleep 0.5;
my @events = read_events("$dir/events.log");
my ($sent_event) = grep { $_->{event_id} eq 'WEB_100022' && $_->{IDENTIFIER} eq 'alice' } @events;
ok $sent_event, 'WEB_100022 for alice';
is $sent_event->{pipe}, 'sender', '... pipe = the pre-pipe';
is $sent_event->{lifetime}, 300, '... lifetime';
ok((grep { $_->{event_id} eq 'WEB_100019' && $_->{IDENTIFIER} eq 'alice' && $_->{pipe} eq 'delivered' } @events), 'WEB_100019 pipe delivered');
ok((grep { $_->{event_id} eq 'WEB_100021' } @events), 'WEB_100021');
ok((grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'expired' } @events), 'WEB_100020 expired');
ok(!(grep { $_->{event_id} eq 'WEB_100022' && $_->{IDENTIFIER} =~ /ghost|nomail/ } @events), 'no WEB_100022 for users nothing was sent to');
my $logs = slurp("$dir/events.log") . slurp("$dir/error_log");
my @leaked = grep { index($logs, $_) >= 0 } ($mailed // ()), map { $_->{otp} } map { decode_json($_) } grep { /\S/ } split /\n/, slurp($sent);
is_deeply \@leaked, [], 'no delivered code in the event log or the error log';

ok stop_standalone($dir), 'httpd stopped';
