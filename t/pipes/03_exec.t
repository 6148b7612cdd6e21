# Exec validation pipes (README "Exec pipes"): a real program (t/bin/otp-test-validator)
# decides each code. Valid, invalid, exit 2, a signal, 1 MiB on stdout and stderr, stdin closed
# early, a program that outlives OTPPipeTimeout (killed with its child, no zombie, also when
# the client has gone), OTPPipeMaxConcurrent under 50 parallel requests, Basic through an exec
# pipe, and that neither the code nor stdin reaches a log.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP;
use HTTP::Request;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);
use OTPTest qw(write_files post_start read_events slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client parallel_statuses);

plan tests => 41;

my $dir = standalone_dir();
my $port = free_port();
my $v = "$FindBin::Bin/../bin/otp-test-validator";
my %pipes = (ok => 'accept 123456', slow => "accept 123456 0.5 $dir/slow.log", exit2 => 'exit 2',
             signal => 'signal', flood => 'flood', stdin => 'close-stdin',
             sleep => "sleep $dir/sleep.pids", echo => 'echo-stderr');
# The shipped HTTP validator (conf/pipes/otp-validate-http), as it is, against a test double of
# a vendor's API that accepts 246810.
my $double_pid = open(my $double, '-|', "$FindBin::Bin/../bin/http-double", '--accept', '246810', '0', "$dir/vendor.log")
    or die "http-double: $!";
chomp(my $double_port = <$double>);
sub stop_double {
    return unless $double_pid;
    kill 'TERM', $double_pid;
    waitpid $double_pid, 0;
    close $double;
    $double_pid = 0;
}
END { local $?; stop_double() }
my $vendor = "$FindBin::Bin/../../conf/pipes/otp-validate-http";
$pipes{vendor} = "--url http://127.0.0.1:$double_port/validate --timeout 2";
my $conf = join '', map { "OTPPipe v_$_ exec " . ($_ eq 'vendor' ? $vendor : $v) . " $pipes{$_}\n" } sort keys %pipes;
$conf .= join '', map { <<"LOC" } sort keys %pipes;
<Location /$_>
    AuthType OTP
    AuthName "$_"
    OTPValidationPipe v_$_
    OTPLockout off
    OTPAddressLockout off
    Require valid-user
</Location>
LOC
write_files($dir, map { ("htdocs/$_/index.html" => "inside $_\n") } keys %pipes, 'basic', 'lockexec');
# Event MPM with one child: OTPPipeMaxConcurrent counts per child process.
write_standalone_conf(dir => $dir, port => $port, mpm => 'event', body => <<"END");
DocumentRoot "$dir/htdocs"
OTPEventLog "$dir/events.log"
OTPPipeTimeout 2
OTPPipeMaxConcurrent 4
StartServers 1
ServerLimit 1
MinSpareThreads 1
MaxSpareThreads 64
ThreadsPerChild 64
MaxRequestWorkers 64
$conf
# A lockout here must end the user's sessions, as with a users file.
<Location /lockexec>
    AuthType OTP
    AuthName "lockexec"
    OTPValidationPipe v_ok
    OTPLockout 2 60 60
    OTPAddressLockout off
    Require valid-user
</Location>
<Location /basic>
    AuthType Basic
    AuthName "Basic"
    AuthBasicProvider otp
    OTPValidationPipe v_ok
    OTPBasicLinger 0
    Require valid-user
</Location>
END
my $base = "http://127.0.0.1:$port";
start_standalone($dir, new_client(), "$base/ok/index.html");

sub start {
    my ($loc, $user, $otp) = @_;
    my $t0 = time;
    my ($res, $body) = post_start(new_client(), "$base/$loc/.otp/start", $user, $otp);
    return ($res->code, $body, time - $t0);
}

my ($code, $body) = start('ok', 'alice', '123456');
is $code, 200, 'the program accepts: 200';
($code, $body) = start('ok', 'alice', '654321');
is $code, 401, 'the program refuses: 401';
is $body->{error}, 'invalid_otp', '... invalid_otp';
($code, $body) = start('exit2', 'alice', '123456');
is $code, 503, 'exit 2: 503';
is $body->{error}, 'pipe_error', '... pipe_error';
($code, $body) = start('signal', 'alice', '123456');
is $code, 503, 'killed by a signal: 503';
is $body->{error}, 'pipe_error', '... pipe_error';
($code, $body) = start('flood', 'alice', '123456');
is $code, 200, '1 MiB on stdout and stderr: still answered (accepted)';
($code, $body) = start('stdin', 'alice', '123456');
is $code, 401, 'stdin closed early: the exit status counts (1: refused)';
my $elapsed;
($code, $body, $elapsed) = start('sleep', 'alice', '123456');
is $code, 503, 'no answer within OTPPipeTimeout: 503';
is $body->{error}, 'pipe_error', '... pipe_error';
ok $elapsed >= 1.8 && $elapsed < 4, sprintf('... after about the timeout (%.2f s)', $elapsed);

# Running (a zombie is dead: its reaping is its parent's business, here init's for the child).
sub alive { my ($pid) = @_; my ($state) = slurp("/proc/$pid/stat") =~ /\) (\S)/; return $state && $state ne 'Z' }
# Zombies whose parent is one of this server's processes: those would be ours.
sub our_zombies {
    my ($parent) = slurp("$dir/httpd.pid") =~ /(\d+)/;
    my %ours = ($parent => 1);
    my @stats = map { [slurp($_) =~ /^(\d+) \(.*\) (\S) (\d+)/] } glob '/proc/[0-9]*/stat';
    $ours{$_->[0]} = 1 for grep { @$_ && $_->[2] == $parent } @stats;
    return scalar grep { @$_ && $_->[1] eq 'Z' && $ours{$_->[2]} } @stats;
}
my ($program, $child) = split ' ', slurp("$dir/sleep.pids");
ok $program && $child, 'the program wrote its pid and its child\'s';
sleep 0.3;
ok !alive($program), 'the program is gone (reaped, no zombie)';
ok !alive($child), 'its child is gone too (the process group was killed)';

# The client goes away while the program runs: it is still killed and reaped.
unlink "$dir/sleep.pids";
my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or die "connect: $!";
my $json = encode_json({type => 'start', data => {user => 'alice', otp => '123456'}});
print $sock "POST /sleep/.otp/start HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          . "Content-Length: " . length($json) . "\r\nConnection: close\r\n\r\n$json";
sleep 0.5;
close $sock;
sleep 2.5;
($program, $child) = split ' ', slurp("$dir/sleep.pids");
ok $program && !alive($program) && !alive($child), 'client gone: program and child killed and reaped';
is our_zombies(), 0, 'no zombie of httpd in the process table';

# 50 parallel validations with OTPPipeMaxConcurrent 4 (one child): the excess fail closed at once.
my @statuses = parallel_statuses(50, sub {
    my ($i) = @_;
    my $req = HTTP::Request->new(POST => "$base/slow/.otp/start");
    $req->header('Content-Type' => 'application/json', Accept => 'application/json');
    $req->content(encode_json({type => 'start', data => {user => "user$i", otp => '000000'}}));
    return new_client()->request($req);
});
my %count;
$count{$_}++ for @statuses;
is scalar(@statuses), 50, 'every request answered';
is_deeply [sort keys %count], [401, 503], 'only 401 (refused by the program) and 503';
ok $count{503} >= 30, "most are pipe_busy ($count{503} of 50)";
ok $count{401} >= 4, "some ran ($count{401})";
# The programs' own start and end times: never more than 4 at once.
my ($running, $most) = (0, 0);
for my $line (sort { (split ' ', $a)[1] <=> (split ' ', $b)[1] } grep { /\S/ } split /\n/, slurp("$dir/slow.log")) {
    $running += $line =~ /^start/ ? 1 : -1;
    $most = $running if $running > $most;
}
is $most, 4, 'at most OTPPipeMaxConcurrent (4) programs ran at once';
my @events = read_events("$dir/events.log");
ok scalar(grep { ($_->{reason} // '') eq 'pipe_busy' } @events) == $count{503}, 'a pipe_busy event for each';
ok !(grep { $_->{event_id} eq 'WEB_100019' && $_->{location} eq '/slow' } @events), 'nothing granted';

# The vendor validator: its answer decides.
($code) = start('vendor', 'alice', '246810');
is $code, 200, 'otp-validate-http: the vendor accepts';
($code) = start('vendor', 'alice', '135790');
is $code, 401, 'otp-validate-http: the vendor refuses';
like slurp("$dir/vendor.log"), qr/"path":"\/validate"/, 'otp-validate-http: the vendor was asked';

# Basic through an exec pipe.
my $ua = new_client();
my $req = HTTP::Request->new(GET => "$base/basic/index.html");
$req->authorization_basic('alice', '123456');
is $ua->request($req)->code, 200, 'Basic: the program accepts';
$req->authorization_basic('alice', '111111');
is $ua->request($req)->code, 401, 'Basic: the program refuses';

# Events and logs: the pipe error event with the program and how it ended; never a code.
($code) = start('echo', 'alice', '424242');
is $code, 401, 'a program that prints the code to stderr';
sleep 0.3;
@events = read_events("$dir/events.log");
my ($e2) = grep { $_->{event_id} eq 'WEB_100032' && $_->{pipe} eq 'v_exit2' } @events;
ok $e2, 'WEB_100032 for exit 2';
is $e2->{exit_status}, 2, '... exit_status 2';
ok defined $e2->{duration_ms} && $e2->{program} eq $v, '... program and duration';
my ($sig) = grep { $_->{event_id} eq 'WEB_100032' && $_->{pipe} eq 'v_signal' } @events;
is $sig->{signal}, 9, 'WEB_100032 for a signal: signal 9';
my ($late) = grep { $_->{event_id} eq 'WEB_100032' && $_->{pipe} eq 'v_sleep' } @events;
is $late->{outcome}, 'timeout', 'WEB_100032 for the timeout';
my $error_log = slurp("$dir/error_log");
like $error_log, qr/OTPPipe v_echo .*stderr: checking \[redacted\] for alice/, "the program's stderr is logged, the code redacted";
my $all = $error_log . slurp("$dir/events.log");
ok index($all, '424242') < 0 && index($all, '123456') < 0 && index($all, '"action"') < 0,
   'no code and no stdin in any log';

# The lockout of an exec pipe's user ends the sessions it made (its records are scoped by the
# pipe and the virtual host, not by a users file).
my $holder = new_client();
my ($held) = post_start($holder, "$base/lockexec/.otp/start", 'locky', '123456');
is $held->code, 200, 'exec location: logged in';
is $holder->get("$base/lockexec/index.html")->code, 200, '... the session opens the location';
post_start(new_client(), "$base/lockexec/.otp/start", 'locky', '000001') for 1 .. 2;
is $holder->get("$base/lockexec/index.html")->code, 401, '... and the user\'s lockout ends it';

stop_double();
ok stop_standalone($dir), 'httpd stopped';
