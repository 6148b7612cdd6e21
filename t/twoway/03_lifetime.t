# OTPTwoWayLifetime (README): a flow and its codes are gone after it. In a location of its own
# with OTPTwoWayLifetime 2: init says expiresIn 2 (WEB_100033 lifetime 2); after 3 s a coupled
# flow's complete is 5000 expired (even with the right response), a client code that was not
# entered is refused at the portal (5000 invalid_code) and its flow's complete is 5000; a flow
# of the default location started at the same time is still good.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use MIME::Base64 qw(encode_base64);
use OTPTest qw(api_call read_events slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client);

plan tests => 17;

my $dir = standalone_dir();
my $port = free_port();
my $base = "http://127.0.0.1:$port";
my %PW = (mona => 'pw-mona-first', nils => 'pw-nils-first', olga => 'pw-olga-first');
my $first = 1;
for my $user (sort keys %PW) {
    system('sh', '-c', 'htpasswd "$@" 2>/dev/null', 'htpasswd', $first ? '-cbm' : '-bm', "$dir/htpasswd",
           $user, $PW{$user}) == 0 or die 'htpasswd failed';
    $first = 0;
}
write_standalone_conf(dir => $dir, port => $port, modules => ['authn_file'], body => <<"END");
OTPEventLog "$dir/events.log"
<Location /twoway>
    SetHandler otp-twoway
    Require all granted
</Location>
<Location /short>
    SetHandler otp-twoway
    OTPTwoWayLifetime 2
    Require all granted
</Location>
<Location /portal>
    SetHandler otp-twoway-portal
    AuthType Basic
    AuthName "Portal"
    AuthBasicProvider file
    AuthUserFile "$dir/htpasswd"
    Require valid-user
</Location>
END
start_standalone($dir, new_client(), "$base/portal");

sub call {
    my ($path, $body, %opt) = @_;
    my ($res, $json) = api_call("$base$path", $body, %opt);
    return ($res, $json // {});
}
sub as { my ($user) = @_; return (headers => {Authorization => 'Basic ' . encode_base64("$user:$PW{$user}", '')}) }
sub summary { my ($res, $b) = @_; return [$res->code, $b->{status}, $b->{error}] }
sub enter { my ($user, $code) = @_; return call('/portal', {data => $code}, as($user)) }

my ($res, $coupled) = call('/short/init', undef);
is_deeply [$res->code, $coupled->{status}, $coupled->{expiresIn}], [200, 2000, 2], 'init at OTPTwoWayLifetime 2: 200 2000, expiresIn 2';
my (undef, $lonely) = call('/short/init', undef);
my (undef, $long) = call('/twoway/init', undef);
is $long->{expiresIn}, 300, 'init at the default location: expiresIn 300';
my $t0 = time;
my ($r1, $p) = enter('mona', $coupled->{data} // '');
is_deeply [$r1->code, $p->{status}], [200, 2000], 'mona enters the short flow\'s code at once: 2000';
my $response = $p->{data} // '';
(undef, my $p_long) = enter('olga', $long->{data} // '');
ok time - $t0 < 2, 'within the lifetime so far';

sleep 3;
($res, my $b) = call('/short/complete', {flow => $coupled->{flow}, data => $response});
is_deeply summary($res, $b), [410, 5000, 'expired'], '3 s later: complete with the right response: 410 5000 expired';
ok !defined $b->{user}, '... no user';
($res, $b) = enter('nils', $lonely->{data} // '');
is_deeply summary($res, $b), [410, 5000, 'invalid_code'], 'the code that nobody entered, entered now: 410 5000 invalid_code';
($res, $b) = call('/short/complete', {flow => $lonely->{flow}, data => '123456'});
is_deeply summary($res, $b), [410, 5000, 'expired'], "... its flow's complete: 410 5000 expired (not 4002)";
($res, $b) = call('/twoway/complete', {flow => $long->{flow}, data => $p_long->{data} // ''});
is_deeply [$res->code, $b->{status}, $b->{user}], [200, 2000, 'olga'], 'the default-lifetime flow started alongside still completes: 2000 olga';
($res, $b) = call('/short/complete', {flow => $coupled->{flow}, data => $response});
is_deeply summary($res, $b), [410, 5000, 'expired'], 'the expired flow again: still 410 5000 expired';

select undef, undef, undef, 0.3;
my @events = read_events("$dir/events.log");
my @started = grep { $_->{event_id} eq 'WEB_100033' } @events;
is_deeply [map { $_->{lifetime} } @started], [2, 2, 300], 'WEB_100033 lifetime 2, 2, 300';
my ($ref_c, $ref_l) = map { $_->{IDENTIFIER} } @started;
my @expired = grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'expired' } @events;
is scalar(grep { ($_->{flow} // '') eq $ref_c } @expired), 2, 'the coupled flow: two WEB_100020 reason expired';
is scalar(grep { ($_->{flow} // '') eq $ref_l } @expired), 1, 'the flow nobody entered: one WEB_100020 reason expired';
ok !grep({ exists $_->{pipe} } @expired), '... none with pipe (nothing compared)';
my ($nils) = grep { ($_->{IDENTIFIER} // '') eq 'nils' } @events;
is_deeply [$nils ? @$nils{qw(event_id reason)} : ()], ['WEB_100020', 'invalid_otp'], "nils's late code: WEB_100020 invalid_otp";
unlike slurp("$dir/error_log"), qr/exit signal|internal error|Segmentation/, 'no crash, no internal error';
ok stop_standalone($dir), 'the server stops';
