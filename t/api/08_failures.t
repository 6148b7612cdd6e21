# The verify API when mod_otp or a dependency fails (README "errorCode", 3xxx), on servers of
# the test's own: a state store that cannot be reached (503 store_error), a state store that
# is full (503 store_full), every pipe slot taken by a slow validator or a slow pre-pipe
# (503 pipe_busy, for verify and for generate); initiate answers these in Toopher's shape,
# never as granted:false. Also OTPTranslations rewording the API's messages.
use strict;
use warnings FATAL => 'all';
use utf8;

use Apache::Test qw(-withtestmore);
use FindBin;
use Time::HiRes qw(sleep);
use lib "$FindBin::Bin/../lib";
use OTPTest qw(api_call api_form write_files read_events slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client parallel_results %SECRET);

plan tests => 21;

my $validator = "$FindBin::Bin/../bin/otp-test-validator";
my $users = join '', map { "HOTP/T30 $_ - $SECRET{$_}\n" } qw(alice bob carol);
my $ready = <<'END';
<Location /ready>
    AuthType Basic
    AuthName "ready"
    AuthBasicProvider file
    AuthUserFile /dev/null
    Require valid-user
</Location>
END
sub api_section {
    my ($path, @lines) = @_;
    return join "\n", "<Location $path>", '    SetHandler otp-verify', map({ "    $_" } @lines),
                      '    Require ip 127.0.0.1', "</Location>\n";
}
sub answer_of { my ($res, $body) = @_; return $res->code . ' ' . ($body && ($body->{error} // $body->{status}) // '?') }

# ---- a state store that cannot be reached: memcache on a port nobody listens on ------------
my $dir = standalone_dir();
my $port = free_port();
my $closed = free_port();
write_files($dir, 'users.oath' => $users);
write_standalone_conf(dir => $dir, port => $port, modules => [qw(authz_host authn_file socache_memcache)],
                      body => <<"END" . $ready . api_section('/api') . api_section('/codes', 'OTPValidationPipe delivered', 'OTPVerifyReturnsCode on'));
OTPStateStore memcache:127.0.0.1:$closed
OTPStateStoreTimeout 300
OTPEventLog "$dir/events.log"
OTPUsersFile "$dir/users.oath"
END
my $base = "http://127.0.0.1:$port";
start_standalone($dir, new_client(), "$base/ready");

my ($res, $body) = api_call("$base/api", {userName => 'alice', otp => '123456', clientTxnId => 'se-1'});
is_deeply [$res->code, @$body{qw(status errorCode error clientTxnId)}], [503, 'ERROR', 3000, 'store_error', 'se-1'],
    'verify, store unreachable: 503 store_error';
($res, $body) = api_call("$base/codes/generate", {userName => 'alice'});
is_deeply [$res->code, $body->{errorCode}, $body->{error}, exists $body->{otp} ? 'code' : 'no code'],
    [503, 3000, 'store_error', 'no code'], 'generate, store unreachable: 503 store_error, no code';
($res, $body) = api_form("$base/api/authentication_requests/initiate", [user_name => 'alice', otp => '123456']);
is_deeply [$res->code, $body->{error_code}, exists $body->{granted} ? 'decision' : 'no decision'], [503, 3000, 'no decision'],
    'initiate, store unreachable: 503 {"error_code":3000}, never granted:false';
my @events = read_events("$dir/events.log");
is_deeply [map { $_->{reason} } grep { $_->{event_id} eq 'WEB_100020' } @events], ['store_error', 'store_error'],
    'WEB_100020 store_error for the verify and the initiate';
ok scalar(grep { $_->{event_id} eq 'WEB_100030' } @events) >= 2, '... with WEB_100030 (state store error)';
ok stop_standalone($dir), 'the server stops';

# ---- a small store, one slot for programs (event MPM, one child) ----------------------------
$dir = standalone_dir();
$port = free_port();
write_files($dir, 'users.oath' => $users,
            'i18n/de.json' => qq({"verify_api.invalid_otp": "Falsches Einmalpasswort."}\n),
            'i18n/en.json' => qq({"verify_api.invalid_otp": "That code is wrong."}\n));
write_standalone_conf(dir => $dir, port => $port, mpm => 'event', modules => [qw(authz_host authn_file)],
                      body => <<"END" . $ready
# 160 records of 128 bytes.
OTPStateStore shmcb:(20608)
OTPEventLog "$dir/events.log"
OTPUsersFile "$dir/users.oath"
OTPPipeMaxConcurrent 1
OTPPipe slow exec $validator accept 999999 1.5
OTPPipe slowsend exec $validator accept 999999 1.5
StartServers 1
ServerLimit 1
MinSpareThreads 1
MaxSpareThreads 64
ThreadsPerChild 64
MaxRequestWorkers 64
END
    . api_section('/slow', 'OTPValidationPipe slow', 'OTPLockout off')
    . api_section('/gen', 'OTPValidationPipe delivered', 'OTPPrePipe slowsend')
    . api_section('/flood', 'OTPAllowedRetry 10', 'OTPLockout 3 600 900', "OTPTranslations \"$dir/i18n\""));
$base = "http://127.0.0.1:$port";
start_standalone($dir, new_client(), "$base/ready");

# OTPTranslations: the API's messages reworded, a language added.
($res, $body) = api_call("$base/flood", {userName => 'alice', otp => '000000'});
is $body->{message}, 'That code is wrong.', 'OTPTranslations en.json rewords invalid_otp';
($res, $body) = api_call("$base/flood", {userName => 'bob', otp => '000000', additionalInput => {AR_WF_LOCALE_ID => 'de'}});
is $body->{message}, 'Falsches Einmalpasswort.', '... de.json adds German (AR_WF_LOCALE_ID de)';
($res, $body) = api_call("$base/flood", {userName => 'carol', otp => '000000', additionalInput => {AR_WF_LOCALE_ID => 'sv'}});
is $body->{message}, 'Felaktigt engångslösenord.', '... Swedish stays built in';

# pipe_busy: three verifies at once, one slot, a validator that takes 1.5 s.
my @results = parallel_results(3, sub {
    my ($i) = @_;
    return answer_of(api_call("$base/slow", {userName => "busy$i", otp => '123456'}));
});
is_deeply [sort @results], ['401 invalid_otp', '503 pipe_busy', '503 pipe_busy'],
    'three verifies at once with OTPPipeMaxConcurrent 1: one compared, two 503 pipe_busy';
($res, $body) = api_call("$base/slow", {userName => 'busy9', otp => '999999'});
is_deeply [$res->code, $body->{status}], [200, 'SUCCESS'], '... the slot is free again afterwards';

# pipe_busy for generate: the pre-pipe holds the slot while it runs (1.5 s).
($res, $body) = api_call("$base/gen/generate", {userName => 'alice'});
is_deeply [$res->code, $body->{delivery}], [200, 'pre_pipe'], 'generate: the pre-pipe runs (1.5 s)';
($res, $body) = api_call("$base/gen/generate", {userName => 'bob', clientTxnId => 'pb-1'});
is_deeply [$res->code, @$body{qw(errorCode error clientTxnId)}], [503, 3003, 'pipe_busy', 'pb-1'],
    'a second generate meanwhile: 503 pipe_busy';
($res, $body) = api_call("$base/slow", {userName => 'busy10', otp => '999999'});
is_deeply [$res->code, $body->{error}], [503, 'pipe_busy'], '... and verify through another pipe of the server too';
($res, $body) = api_form("$base/slow/authentication_requests/initiate", [user_name => 'busy11', otp => '999999']);
is_deeply [$res->code, $body->{error_code}, exists $body->{granted} ? 'decision' : 'no decision'], [503, 3003, 'no decision'],
    '... and initiate: 503 {"error_code":3003}';
@events = read_events("$dir/events.log");
is scalar(grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'pipe_busy' } @events), 5,
    'WEB_100020 pipe_busy for each refusal (verify, generate and initiate)';
# Once the pre-pipe is done (1.5 s), bob's generate works: the refusal used up no resend wait.
sleep 1.5;
for (1 .. 50) {
    ($res, $body) = api_call("$base/gen/generate", {userName => 'bob', clientTxnId => 'pb-1'});
    last unless $res->code == 503 && ($body->{error} // '') eq 'pipe_busy';
    sleep 0.1;
}
is_deeply [$res->code, $body->{status}], [200, 'SUCCESS'], 'once the pre-pipe is done, generate works (no resend wait was used up)';

# store_full: wrong codes for new users, each in a new transaction, until the store refuses.
my ($full, $full_body, $made);
for my $i (1 .. 400) {
    ($full, $full_body) = api_call("$base/flood", {userName => "flood$i", otp => '000000', clientTxnId => "f-$i"});
    $made = $i;
    last if $full->code != 401;
}
is_deeply [$full->code, @$full_body{qw(status errorCode error clientTxnId)}], [503, 'ERROR', 3001, 'store_full', "f-$made"],
    "the store fills up ($made calls): 503 store_full";
($res, $body) = api_form("$base/flood/authentication_requests/initiate", [user_name => 'flood-new', otp => '000000']);
is_deeply [$res->code, $body->{error_code}], [503, 3001], 'initiate on a full store: 503 {"error_code":3001}';
@events = read_events("$dir/events.log");
ok scalar(grep { $_->{event_id} eq 'WEB_100020' && ($_->{reason} // '') eq 'store_full' } @events) >= 2,
    'WEB_100020 store_full events';
ok stop_standalone($dir), 'the server stops';
