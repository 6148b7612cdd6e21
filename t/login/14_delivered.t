# Delivered codes on the main test server (/delivered, t/conf/extra.conf.in): the code the test
# sender got logs the user in through the JSON endpoint; the code joins the secrets test's list
# (t/zz_final/secrets.t), which checks that no delivered code and no sender input reaches a log.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Spec;
use JSON::PP;
use Time::HiRes qw(sleep);
use OTPTest qw(new_client start_json url_of remember_code slurp);

plan tests => 7;

my $sent = File::Spec->catfile($FindBin::Bin, '..', 'var', 'sent-codes.jsonl');
my $ua = new_client();
is $ua->get(url_of('/delivered/index.html'))->code, 401, 'the page';
my ($res, $body) = start_json($ua, '/delivered/.otp/start', {user => 'deli'}, type => 'send');
is $res->code, 200, 'send: 200';
is $body->{status}, 'SENT', 'send: SENT';
my $code;
for (1 .. 50) {
    ($code) = map { $_->{otp} } grep { $_->{user} eq 'deli' } map { decode_json($_) } grep { /\S/ } split /\n/, slurp($sent);
    last if $code;
    sleep 0.1;
}
ok $code, 'the sender got the code';
remember_code($code) if $code;
($res, $body) = start_json($ua, '/delivered/.otp/start', {user => 'deli', otp => $code // 'none'});
is $res->code, 200, 'the sent code logs deli in';
is $ua->get(url_of('/delivered/index.html'))->code, 200, 'the content';
($res, $body) = start_json(new_client(), '/delivered/.otp/start', {user => 'deli', otp => $code // 'none'});
is $body->{error}, 'expired', 'the used code is refused as expired';
