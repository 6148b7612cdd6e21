# The example exec pipes in conf/pipes, run as they are, the way mod_otp runs them: without a
# shell, with `env -i PATH=/usr/bin:/bin`, one JSON object on stdin, the answer in the exit
# status. No httpd: sendmail is t/bin/fake-sendmail (behind a wrapper script per case, since
# otp-send-mail passes its --sendmail program only "-t -oi"), the SMS gateway and the vendor
# API are t/bin/http-double on 127.0.0.1, and curl runs behind a wrapper that logs its argv,
# to show that neither the code nor the token is on curl's command line.
# Runs on its own (prove t/pipes/01_examples.t) and under t/TEST. The programs come from
# ../../conf/pipes next to t/, or from $OTP_PIPES_DIR; a staged copy of t/ alone skips.
use strict;
use warnings FATAL => 'all';

use Test::More;
use Cwd qw(abs_path);
use Encode qw(decode encode);
use File::Temp qw(tempdir);
use FindBin;
use IO::Socket::INET;
use JSON::PP ();
use MIME::Base64 qw(decode_base64);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

my $bin = abs_path("$FindBin::Bin/../bin");
my $pipes = $ENV{OTP_PIPES_DIR} // "$FindBin::Bin/../../conf/pipes";
# A missing copy is a failure, never a skip: the shipped programs must be tested.
BAIL_OUT("no example pipes in $pipes (set OTP_PIPES_DIR)") unless -f "$pipes/otp-send-mail";
$pipes = abs_path($pipes);
my $real_curl = '/usr/bin/curl';
my $env = '/usr/bin/env';

my $tmp = tempdir('otp-pipes-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $json = JSON::PP->new->utf8->canonical;

sub write_file {
    my ($path, $content, $mode) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $content;
    close $fh or die "$path: $!";
    chmod $mode, $path or die "chmod $path: $!" if defined $mode;
    return $path;
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or return undef;
    local $/;
    return scalar <$fh>;
}

# Runs PROGRAM ARGS under `env -i PATH=/usr/bin:/bin`, INPUT (a hash: JSON-encoded, or a
# string as it is) on a pipe to its stdin, then EOF. Returns {exit, signal, stdout, stderr}.
my $runs = 0;
sub run_program {
    my ($program, $args, $input) = @_;
    $runs++;
    my ($out, $err) = ("$tmp/run$runs.stdout", "$tmp/run$runs.stderr");
    my $bytes = ref $input ? $json->encode($input) : $input;
    pipe(my $reader, my $writer) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        close $writer;
        open STDIN, '<&', $reader or die;
        open STDOUT, '>', $out or die;
        open STDERR, '>', $err or die;
        { exec $env, '-i', 'PATH=/usr/bin:/bin', $program, @$args }
        POSIX::_exit(127);
    }
    close $reader;
    {
        local $SIG{PIPE} = 'IGNORE';
        print {$writer} $bytes;
        close $writer;
    }
    my $deadline = time + 30;
    while (waitpid($pid, WNOHANG) == 0) {
        if (time > $deadline) { kill 'KILL', $pid; waitpid $pid, 0; last }
        sleep 0.02;
    }
    return {exit => $? & 127 ? -1 : $? >> 8, signal => $? & 127,
            stdout => slurp($out) // '', stderr => slurp($err) // ''};
}

# Nothing on stdout; no secret on stderr (nor on stdout).
sub quiet_ok {
    my ($r, $name, @secrets) = @_;
    is $r->{stdout}, '', "$name: nothing on stdout";
    my @leaked = grep { index($r->{stderr}, $_) >= 0 || index($r->{stdout}, $_) >= 0 } @secrets;
    ok !@leaked, "$name: no code or token on stderr" or diag "stderr: $r->{stderr}";
}

sub exit_is {
    my ($r, $want, $name) = @_;
    is $r->{exit}, $want, "$name: exit $want" or diag "exit $r->{exit}, signal $r->{signal}, stderr: $r->{stderr}";
}

# ---- http-double: started once per accepted code, killed by PID at the end -----------------
my %doubles;    # pid => its stdout (kept open: closing it would wait for the double)
END {
    local $?;    # waitpid must not change the test's exit status
    for my $pid (keys %doubles) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
        close $doubles{$pid};
    }
}

sub start_double {
    my ($log, @args) = @_;
    my $pid = open(my $out, '-|', "$bin/http-double", @args, 0, $log) or die "http-double: $!";
    $doubles{$pid} = $out;
    my $port = <$out>;
    die "http-double gave no port\n" unless defined $port && $port =~ /\A([0-9]+)\n\z/;
    return ($pid, $1);
}

sub requests {
    my ($log) = @_;
    my $text = slurp($log) // '';
    return map { $json->decode($_) } split /\n/, $text;
}

# A port on 127.0.0.1 where nothing listens (connection refused).
sub closed_port {
    my $socket = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1) or die "$@";
    my $port = $socket->sockport;
    close $socket;
    return $port;
}

# ---- otp-send-mail ------------------------------------------------------------------------
{
    my $program = "$pipes/otp-send-mail";
    ok -x $program, 'otp-send-mail is executable';
    my $mail = "$tmp/mail";
    my $sendmail_ok = write_file("$tmp/sendmail-ok",
        "#!/bin/sh\nexec /usr/bin/perl '$bin/fake-sendmail' '$mail' \"\$\@\"\n", 0755);
    my $sendmail_fail = write_file("$tmp/sendmail-fail",
        "#!/bin/sh\nexec /usr/bin/perl '$bin/fake-sendmail' --exit 75 '$mail' \"\$\@\"\n", 0755);
    my $addresses = write_file("$tmp/mail-addresses", join '',
        "# user  address\n",
        "\n",
        "alice   alice\@example.com\n",
        "  bjorn\tbjorn\@example.se   # a comment after the address\r\n",
        "mallory mallory\@example.com\rBcc:victim\@example.org\n",
        "eve     eve\@example.com,attacker\@example.net\n",
        "noat    not-an-address\n");
    my @common = ('--addresses', $addresses, '--sendmail', $sendmail_ok);
    my $send = sub { my (%f) = @_; return {action => 'send', lifetime => 300, request_id => 'r1', location => '/app', %f} };
    my $headers_of = sub {
        my ($text) = @_;
        my ($head, $body) = split /\n\n/, $text, 2;
        $head =~ s/\n[ \t]+/ /g;    # unfold
        my %h = map { /\A([^:]+):\s*(.*)\z/ ? (lc $1 => $2) : () } split /\n/, $head;
        return (\%h, $body);
    };
    my $decode_words = sub {
        my ($v) = @_;
        $v =~ s/\?=\s+=\?/?==?/g;
        $v =~ s/=\?UTF-8\?B\?([A-Za-z0-9+\/=]*)\?=/decode_base64($1)/ge;
        return decode('UTF-8', $v);
    };

    unlink $mail;
    my $r = run_program($program, [@common, '--from', 'Login service <noreply@example.com>'],
                        $send->(user => 'alice', otp => '483920', customer => 'acme', future => {x => [1]}));
    exit_is $r, 0, 'mail to alice';
    quiet_ok $r, 'mail to alice', '483920';
    my $text = slurp($mail) // '';
    my ($h, $body) = $headers_of->($text);
    is $h->{to}, 'alice@example.com', 'To: is the address from the file';
    is $h->{from}, '"Login service" <noreply@example.com>', 'From: as given';
    is $h->{subject}, 'Your one-time code', 'the default English subject';
    is $h->{'content-type'}, 'text/plain; charset=UTF-8', 'Content-Type text/plain, UTF-8';
    is $h->{'content-transfer-encoding'}, '8bit', 'Content-Transfer-Encoding 8bit';
    is $h->{'mime-version'}, '1.0', 'MIME-Version';
    is $body, "Your one-time code is 483920. It is valid for 5 minutes.\n", 'the English text with the code';
    is slurp("$mail.args"), "-t\n-oi\n", 'sendmail ran as: sendmail -t -oi';

    unlink $mail;
    $r = run_program($program, \@common, $send->(user => 'bjorn', otp => '771204', lifetime => 600, locale => 'sv'));
    exit_is $r, 0, 'mail to bjorn, locale sv';
    quiet_ok $r, 'mail sv', '771204';
    ($h, $body) = $headers_of->(slurp($mail) // '');
    is $h->{to}, 'bjorn@example.se', 'the address of an indented CRLF line with a comment';
    like $h->{subject}, qr/\A=\?UTF-8\?B\?[A-Za-z0-9+\/=]+\?=\z/, 'a non-ASCII subject is MIME-encoded';
    is $decode_words->($h->{subject}), "Din eng\x{e5}ngskod", 'the default Swedish subject';
    is $h->{'content-language'}, 'sv', 'Content-Language sv';
    is decode('UTF-8', $body), "Din eng\x{e5}ngskod \x{e4}r 771204. Den g\x{e4}ller i 10 minuter.\n",
        'the Swedish text, UTF-8';

    unlink $mail;
    my $long = "Inloggningskod f\x{f6}r \x{c5}ngstr\x{f6}m-portalen, giltig en kort stund \x{e5}t dig";
    $r = run_program($program, [@common, '--subject', encode('UTF-8', $long)],
                     $send->(user => 'alice', otp => 'K7M2QX', lifetime => 60, locale => 'en-GB'));
    exit_is $r, 0, 'mail with a long non-ASCII --subject';
    quiet_ok $r, 'mail --subject', 'K7M2QX';
    $text = slurp($mail) // '';
    ok !(grep { length > 78 } split /\n/, $text), 'no header line longer than 78 characters';
    ($h, $body) = $headers_of->($text);
    is $decode_words->($h->{subject}), $long, 'the subject, encoded in several words';
    is $body, "Your one-time code is K7M2QX. It is valid for 1 minute.\n", 'en-GB: English, 1 minute';

    unlink $mail;
    $r = run_program($program, \@common, $send->(user => 'nobody-here', otp => '220931'));
    exit_is $r, 1, 'unknown user';
    quiet_ok $r, 'unknown user', '220931';
    ok !-e $mail, 'unknown user: no mail';

    for my $case (['mallory', 'an address with a CR and a Bcc: header'],
                  ['eve', 'an address with a second recipient'],
                  ['noat', 'something that is not an address']) {
        unlink $mail;
        $r = run_program($program, \@common, $send->(user => $case->[0], otp => '650118'));
        exit_is $r, 2, "$case->[1] is refused";
        quiet_ok $r, $case->[1], '650118';
        ok !-e $mail, "$case->[1]: no mail";
    }

    unlink $mail;
    $r = run_program($program, [@common, '--from', "noreply\@example.com\nBcc: victim\@example.org"],
                     $send->(user => 'alice', otp => '650119'));
    exit_is $r, 2, '--from with a line break is refused';
    ok !-e $mail, '--from with a line break: no mail';

    unlink $mail;
    $r = run_program($program, ['--addresses', $addresses, '--sendmail', $sendmail_fail],
                     $send->(user => 'alice', otp => '390457'));
    exit_is $r, 2, 'sendmail failing';
    quiet_ok $r, 'sendmail failing', '390457';
    like $r->{stderr}, qr/exit status 75/, 'sendmail failing: its status is logged';

    $r = run_program($program, ['--addresses', $addresses, '--sendmail', "$tmp/no-such-sendmail"],
                     $send->(user => 'alice', otp => '390458'));
    exit_is $r, 2, 'sendmail missing';

    unlink $mail;
    $r = run_program($program, \@common, '{"action":"send","user":"alice","otp":"918273"');
    exit_is $r, 2, 'input that is not JSON';
    quiet_ok $r, 'input that is not JSON', '918273';
    $r = run_program($program, \@common, {action => 'validate', user => 'alice', otp => '918274'});
    exit_is $r, 2, 'a "validate" request to a sender';
    $r = run_program($program, \@common, $send->(user => 'alice'));
    exit_is $r, 2, 'a request without a code';
    $r = run_program($program, ['--sendmail', $sendmail_ok], $send->(user => 'alice', otp => '918275'));
    exit_is $r, 2, 'no --addresses';
    ok !-e $mail, 'no mail from any of these';
}

{
    BAIL_OUT("$real_curl is missing (scripts/ensure-deps.sh test installs curl)") unless -x $real_curl;

    my $token = 'tok-3c9f1e7a-d00d-SECRET';
    my $token_file = write_file("$tmp/token", "$token\n");
    my $curl_log = "$tmp/curl.argv";
    my $curl = write_file("$tmp/curl-logged",
        "#!/bin/sh\nprintf '%s\\n' \"\$\@\" >>'$curl_log'\nexec $real_curl \"\$\@\"\n", 0755);
    my $argv_ok = sub {
        my ($name, @secrets) = @_;
        my $argv = slurp($curl_log) // '';
        like $argv, qr/^--config\n-\n/m, "$name: curl ran, with --config -";
        my @seen = grep { index($argv, $_) >= 0 } @secrets;
        ok !@seen, "$name: neither code nor token on curl's command line" or diag $argv;
        unlink $curl_log;
    };

    # ---- otp-send-sms ---------------------------------------------------------------------
    my $program = "$pipes/otp-send-sms";
    ok -x $program, 'otp-send-sms is executable';
    my $log = "$tmp/sms.log";
    my (undef, $port) = start_double($log);
    my $base = "http://127.0.0.1:$port";
    my $addresses = write_file("$tmp/sms-addresses",
        "# user phone\nalice +46701234567\nbjorn +46709876543 # mobile\nbob 0701234567\n");
    my @common = ('--addresses', $addresses, '--token-file', $token_file, '--curl', $curl);
    my $send = sub { my (%f) = @_; return {action => 'send', lifetime => 300, customer => '', %f} };

    my $r = run_program($program, [@common, '--gateway', "$base/sms"], $send->(user => 'alice', otp => '583016'));
    exit_is $r, 0, 'SMS to alice';
    quiet_ok $r, 'SMS to alice', '583016', $token;
    my @requests = requests($log);
    is scalar @requests, 1, 'the gateway got one request';
    my $q = $requests[0] // {};
    is "$q->{method} $q->{path}", 'POST /sms', 'POST /sms';
    is $q->{headers}{authorization}, "Bearer $token", 'the bearer token from the token file';
    like $q->{headers}{'content-type'} // '', qr{\Aapplication/json\b}, 'Content-Type: application/json';
    is_deeply eval { $json->decode(encode('UTF-8', $q->{body})) },
              {to => '+46701234567', message => 'Your one-time code is 583016. It is valid for 5 minutes.'},
              'the JSON body: the number from the file and the English text';
    $argv_ok->('SMS to alice', '583016', $token, '/sms');

    $r = run_program($program, [@common, '--gateway', "$base/sms", '--timeout', '3'],
                     $send->(user => 'bjorn', otp => '104729', locale => 'sv', lifetime => 180));
    exit_is $r, 0, 'SMS to bjorn, locale sv';
    quiet_ok $r, 'SMS sv', '104729', $token;
    @requests = requests($log);
    is_deeply eval { $json->decode(encode('UTF-8', $requests[1]{body})) },
              {to => '+46709876543', message => "Din eng\x{e5}ngskod \x{e4}r 104729. Den g\x{e4}ller i 3 minuter."},
              'the Swedish text';
    $argv_ok->('SMS sv', '104729', $token);

    $r = run_program($program, ['--addresses', $addresses, '--curl', $curl, '--gateway', "$base/sms"],
                     $send->(user => 'alice', otp => '583017'));
    exit_is $r, 0, 'SMS without a token file';
    @requests = requests($log);
    ok !exists $requests[2]{headers}{authorization}, 'without a token file: no Authorization header';
    unlink $curl_log;

    $r = run_program($program, [@common, '--gateway', "$base/fail"], $send->(user => 'alice', otp => '661203'));
    exit_is $r, 2, 'the gateway answering 500';
    quiet_ok $r, 'gateway 500', '661203', $token;
    is scalar(requests($log)), 4, 'gateway 500: the request was made';
    $argv_ok->('gateway 500', '661203', $token);

    my $before = () = requests($log);
    $r = run_program($program, [@common, '--gateway', "$base/sms"], $send->(user => 'nobody-here', otp => '661204'));
    exit_is $r, 1, 'SMS to an unknown user';
    quiet_ok $r, 'SMS unknown user', '661204', $token;
    $r = run_program($program, [@common, '--gateway', "$base/sms"], $send->(user => 'bob', otp => '661205'));
    exit_is $r, 2, 'a number that is not E.164';
    quiet_ok $r, 'not E.164', '661205', $token;
    is scalar(requests($log)), $before, 'unknown user, bad number: no request';
    ok !-e $curl_log, 'unknown user, bad number: curl did not run';

    $r = run_program($program, [@common, '--gateway', 'http://127.0.0.1:' . closed_port() . '/sms'],
                     $send->(user => 'alice', otp => '661206'));
    exit_is $r, 2, 'the gateway down (connection refused)';
    quiet_ok $r, 'gateway down', '661206', $token;

    my $t0 = time;
    $r = run_program($program, [@common, '--gateway', "$base/slow", '--timeout', '0.5'],
                     $send->(user => 'alice', otp => '661207'));
    exit_is $r, 2, 'the gateway slower than --timeout';
    ok time - $t0 < 2.5, 'curl gave up after about --timeout';
    quiet_ok $r, 'gateway slow', '661207', $token;
    sleep 3;    # the double serves one connection at a time
    unlink $curl_log;

    # ---- otp-validate-http ----------------------------------------------------------------
    $program = "$pipes/otp-validate-http";
    ok -x $program, 'otp-validate-http is executable';
    my $vlog = "$tmp/validate.log";
    my (undef, $vport) = start_double($vlog, '--accept', '246810');
    my $vbase = "http://127.0.0.1:$vport";
    @common = ('--token-file', $token_file, '--curl', $curl);
    my $validate = sub { my (%f) = @_; return {action => 'validate', user => 'alice', request_id => 'Zx1', locale => 'sv', %f} };

    $r = run_program($program, [@common, '--url', "$vbase/validate"], $validate->(otp => '246810'));
    exit_is $r, 0, 'the accepted code is valid';
    quiet_ok $r, 'valid code', '246810', $token;
    my ($v) = requests($vlog);
    is "$v->{method} $v->{path}", 'POST /validate', 'POST /validate';
    is $v->{headers}{authorization}, "Bearer $token", 'the bearer token';
    is_deeply eval { $json->decode(encode('UTF-8', $v->{body})) }, {user => 'alice', otp => '246810'},
              'the JSON body: user and otp';
    $argv_ok->('valid code', '246810', $token, '/validate');

    $r = run_program($program, [@common, '--url', "$vbase/validate"], $validate->(otp => '135791'));
    exit_is $r, 1, 'another code is invalid';
    quiet_ok $r, 'invalid code', '135791', $token;
    $argv_ok->('invalid code', '135791', $token);

    for my $case (['/deny', 1, 'HTTP 403'], ['/unauthorized', 1, 'HTTP 401'], ['/fail', 2, 'HTTP 500'],
                  ['/notjson', 2, 'an answer that is not JSON'], ['/novalid', 2, 'an answer without "valid"'],
                  ['/nowhere', 2, 'HTTP 404']) {
        my ($path, $want, $name) = @$case;
        $r = run_program($program, [@common, '--url', "$vbase$path"], $validate->(otp => '808182'));
        exit_is $r, $want, $name;
        quiet_ok $r, $name, '808182', $token;
    }
    $argv_ok->('the other answers', '808182', $token);

    $r = run_program($program, [@common, '--url', 'http://127.0.0.1:' . closed_port() . '/validate'],
                     $validate->(otp => '246810'));
    exit_is $r, 2, 'the API down (connection refused)';
    quiet_ok $r, 'API down', '246810', $token;
    $argv_ok->('API down', '246810', $token);

    $r = run_program($program, [@common, '--url', "$vbase/validate"], {action => 'validate', otp => '246810'});
    exit_is $r, 2, 'a request without a user';
    $r = run_program($program, [@common, '--url', "$vbase/validate"], 'not json 246810');
    exit_is $r, 2, 'input that is not JSON';
    quiet_ok $r, 'validator, input not JSON', '246810', $token;
}

done_testing();
