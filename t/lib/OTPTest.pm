package OTPTest;
# Shared helpers for mod_otp's end-to-end tests: the test users and their secrets, codes from
# oathtool (a peer implementation, not our own code), and HTTP requests with Basic auth.
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Spec;
use FindBin;
use MIME::Base64 qw(encode_base64);

our @EXPORT_OK = qw(write_files post_json post_start read_events slurp totp hotp basic_get users_file_line var_dir server_log_since
                    write_users_files wait_for_fresh_step parallel_statuses events_since
                    codes_used remember_code new_client start_json url_of write_standalone_conf
                    standalone_dir free_port start_standalone stop_standalone %SECRET %PIN
                    api_call api_form wrong_totp parallel_results);

# PINs of the test users (the secrets test checks none reaches a log).
our %PIN = (bob => '4321', evan => '8642');

# Test tokens. Each test file uses its own users so that replay state left by one test
# never decides another.
our %SECRET = (
    alice => '3132333435363738393031323334353637383930',          # TOTP, no PIN
    bob   => '0102030405060708090a0b0c0d0e0f1011121314',          # TOTP, PIN 4321
    carol => 'a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4',          # HOTP, fresh
    dave  => '3132333435363738393031323334353637383930313233343536373839303132', # 8-digit SHA256
    erin1 => 'f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff00010203',          # erin's first token (T60)
    erin2 => '5555555555555555555555555555555555555555',          # erin's second token (T30)
    lena  => '6c656e616c656e616c656e616c656e616c656e61',          # TOTP, linger tests
    tom   => '746f6d746f6d746f6d746f6d746f6d746f6d746f',          # TOTP, tight window
    hank  => '68616e6b68616e6b68616e6b68616e6b68616e6b',          # HOTP, tight look-ahead
    max   => '6d61786d61786d61786d61786d61786d61786d61',          # mod_authn_otp HOTP
    mia   => '6d69616d69616d69616d69616d69616d69616d69',          # mod_authn_otp TOTP
    race  => '7261636572616365726163657261636572616365',          # HOTP, concurrency
    rita  => '72697461726974617269746172697461726974ff',          # TOTP, concurrency
    evan  => '6576616e6576616e6576616e6576616e6576616e',          # TOTP, event tests
    lucy  => '6c7563796c7563796c7563796c7563796c756379',          # login flow
    ada   => '6164616164616164616164616164616164616161',          # Require otp after Basic
    larry => '6c617272796c617272796c617272796c61727279',          # lockout
    rex   => '7265787265787265787265787265787265787265',          # login replay
    rosa  => '726f7361726f7361726f7361726f7361726f7361',          # login races
    ruth  => '7275746872757468727574687275746872757468',          # retry limit
    sam   => '73616d73616d73616d73616d73616d73616d7361',          # session cookies
    tim   => '74696d74696d74696d74696d74696d74696d7469',          # session lifetime
    ella  => '656c6c61656c6c61656c6c61656c6c61656c6c61',          # login events
    ivy   => '6976796976796976796976796976796976796976',          # start endpoint return path
    hedy  => '6865647968656479686564796865647968656479',          # HOTP in the login flow
    leo   => '6c656f6c656f6c656f6c656f6c656f6c656f6c65',          # lockout ends sessions
    bea   => '6265616265616265616265616265616265616265',          # browser test, JavaScript
    nils  => '6e696c736e696c736e696c736e696c736e696c73',          # browser test, no JavaScript
    basil => '626173696c626173696c626173696c626173696c',          # Basic lockout
    amy   => '616d79616d79616d79616d79616d79616d79616d',          # Basic address lockout
    bruno => '6272756e6f6272756e6f6272756e6f6272756e6f',          # Basic, parallel lockout
    linus => '6c696e75736c696e75736c696e75736c696e7573',          # linger after a secret change
    linus2 => '32756e696c32756e696c32756e696c32756e696c',         # ... linus's new secret
    zara  => '7a6172617a6172617a6172617a6172617a617261',          # realms
    otto  => '6f74746f6f74746f6f74746f6f74746f6f74746f',          # realms: second users file
    zeke  => '7a656b657a656b657a656b657a656b657a656b65',          # realms: <Directory>
    zoe   => '7a6f657a6f657a6f657a6f657a6f657a6f657a6f',          # realms: .htaccess
    yuri  => '79757269797572697975726979757269797572ff',          # realms: virtual hosts
    zack  => '7a61636b7a61636b7a61636b7a61636b7a61636b',          # realms: SPEC example
    adam  => '6164616d6164616d6164616d6164616d6164616d',          # realms: SPEC example, Require otp
    quinn => '7175696e6e7175696e6e7175696e6e7175696e6e',          # long return paths
    flo   => '666c6f666c6f666c6f666c6f666c6f666c6f666c',          # logout cache flush
    # Delivered codes (/delivered): listed so the module knows them; their secrets go unused.
    deli  => '64656c6964656c6964656c6964656c6964656c69',          # t/login/14_delivered.t
    dana  => '64616e6164616e6164616e6164616e6164616e61',          # browser test, JavaScript
    dirk  => '6469726b6469726b6469726b6469726b6469726b',          # browser test, no JavaScript
    # The verify API (t/api/). Those named g* get delivered codes: their secrets go unused.
    vera  => '7665726176657261766572617665726176657261',          # verify API: answers and events
    vince => '76696e636576696e636576696e636576696e6365',          # verify API: OTPCustomerIdentifier
    wally => '77616c6c7977616c6c7977616c6c7977616c6c79',          # verify API: replay
    wilma => '77696c6d6177696c6d6177696c6d6177696c6d61',          # verify API: retry limit per clientTxnId
    walt  => '77616c7477616c7477616c7477616c7477616c74',          # verify API: clientTxnId of another user
    xena  => '78656e6178656e6178656e6178656e6178656e61',          # verify API: lockout
    yves  => '7976657379766573797665737976657379766573',          # verify API: locked at the page
    yara  => '7961726179617261796172617961726179617261',          # verify API: locked at the API, then the page
    wendy => '77656e647977656e647977656e647977656e6479',          # verify API: parallel, one clientTxnId
    willa => '77696c6c6177696c6c6177696c6c6177696c6c61',          # verify API: parallel lockout
    xavi  => '7861766978617669786176697861766978617669',          # verify API: parallel, one valid code
    ulla  => '756c6c61756c6c61756c6c61756c6c61756c6c61',          # verify API: session tokens
    uma   => '756d61756d61756d61756d61756d61756d61756d',          # verify API: short-lived token
    otis  => '6f7469736f7469736f7469736f7469736f746973',          # verify API: token revoked by a lockout
    tess  => '7465737374657373746573737465737374657373',          # verify API: a session cookie is no token
    vlad  => '766c6164766c6164766c6164766c6164766c6164',          # verify API: initiate
    viggo => '766967676f766967676f766967676f766967676f',          # verify API: initiate, locked
    wim   => '77696d77696d77696d77696d77696d77696d7769',          # verify API: virtual host
    vidar => '7669646172766964617276696461727669646172',          # verify API: <Directory>
    gena  => '67656e6167656e6167656e6167656e6167656e61',          # verify API generate: code to the caller
    gina  => '67696e6167696e6167696e6167696e6167696e61',          # verify API generate: 3 uses
    gabe  => '6761626567616265676162656761626567616265',          # verify API generate: short lifetime
    gwen  => '6777656e6777656e6777656e6777656e6777656e',          # verify API generate: pre-pipe
    gert  => '6765727467657274676572746765727467657274',          # verify API generate: locked
    gia   => '6769616769616769616769616769616769616769',          # verify API generate: parallel uses
    gil   => '67696c67696c67696c67696c67696c67696c6769',          # verify API generate: parallel generates
    wanda => '77616e646177616e646177616e646177616e6461',          # verify API: alive after the request errors
    greta => '6772657461677265746167726574616772657461',          # verify API: generate where it is not available; initiate with a generated code
);

sub var_dir { File::Spec->catdir($FindBin::Bin, '..', 'var') }

# Writes the users files the server reads (called before httpd starts).
sub write_users_files {
    my ($dir) = @_;
    my $oath = <<"END";
# mod_otp end-to-end test users (generated; secrets are test data)
HOTP/T30\talice\t-\t$SECRET{alice}
HOTP/T30 bob 4321 $SECRET{bob}
HOTP carol - $SECRET{carol}

HOTP/T30/8-SHA256 dave - $SECRET{dave}
HOTP/T60 erin - $SECRET{erin1}
HOTP/T30 erin - $SECRET{erin2}
HOTP/T30 lena - $SECRET{lena}
HOTP/T30 tom - $SECRET{tom}
HOTP hank - $SECRET{hank} 4 952160 2026-01-01T00:00:00L
HOTP race - $SECRET{race}
HOTP/T30 rita - $SECRET{rita}
HOTP/T30 evan 8642 $SECRET{evan}
HOTP/T30 lucy - $SECRET{lucy}
HOTP/T30 ada - $SECRET{ada}
HOTP/T30 larry - $SECRET{larry}
HOTP/T30 rex - $SECRET{rex}
HOTP/T30 rosa - $SECRET{rosa}
HOTP/T30 ruth - $SECRET{ruth}
HOTP/T30 sam - $SECRET{sam}
HOTP/T30 tim - $SECRET{tim}
HOTP/T30 ella - $SECRET{ella}
HOTP/T30 ivy - $SECRET{ivy}
HOTP hedy - $SECRET{hedy}
HOTP/T30 leo - $SECRET{leo}
HOTP/T30 bea - $SECRET{bea}
HOTP/T30 nils - $SECRET{nils}
HOTP/T30 deli - $SECRET{deli}
HOTP/T30 dana - $SECRET{dana}
HOTP/T30 dirk - $SECRET{dirk}
HOTP/T30 basil - $SECRET{basil}
HOTP/T30 amy - $SECRET{amy}
HOTP/T30 bruno - $SECRET{bruno}
HOTP/T30 zara - $SECRET{zara}
HOTP/T30 zeke - $SECRET{zeke}
HOTP/T30 zoe - $SECRET{zoe}
HOTP/T30 yuri - $SECRET{yuri}
HOTP/T30 zack - $SECRET{zack}
HOTP/T30 adam - $SECRET{adam}
HOTP/T30 quinn - $SECRET{quinn}
HOTP/T30 flo - $SECRET{flo}
# the verify API (t/api/)
HOTP/T30 vera - $SECRET{vera}
HOTP/T30 vince - $SECRET{vince}
HOTP/T30 wally - $SECRET{wally}
HOTP/T30 wilma - $SECRET{wilma}
HOTP/T30 walt - $SECRET{walt}
HOTP/T30 xena - $SECRET{xena}
HOTP/T30 yves - $SECRET{yves}
HOTP/T30 yara - $SECRET{yara}
HOTP/T30 wendy - $SECRET{wendy}
HOTP/T30 willa - $SECRET{willa}
HOTP/T30 xavi - $SECRET{xavi}
HOTP/T30 ulla - $SECRET{ulla}
HOTP/T30 uma - $SECRET{uma}
HOTP/T30 otis - $SECRET{otis}
HOTP/T30 tess - $SECRET{tess}
HOTP/T30 vlad - $SECRET{vlad}
HOTP/T30 viggo - $SECRET{viggo}
HOTP/T30 wim - $SECRET{wim}
HOTP/T30 vidar - $SECRET{vidar}
HOTP/T30 gena - $SECRET{gena}
HOTP/T30 gina - $SECRET{gina}
HOTP/T30 gabe - $SECRET{gabe}
HOTP/T30 gwen - $SECRET{gwen}
HOTP/T30 gert - $SECRET{gert}
HOTP/T30 gia - $SECRET{gia}
HOTP/T30 gil - $SECRET{gil}
HOTP/T30 greta - $SECRET{greta}
HOTP/T30 wanda - $SECRET{wanda}
END
    my $legacy = <<"END";
# mod_authn_otp layout: COUNTER is the next expected counter
HOTP max - $SECRET{max} 5
HOTP/T30 mia - $SECRET{mia} 0
END
    _write("$dir/users.oath", $oath);
    _write("$dir/users2.oath", "HOTP/T30 otto - $SECRET{otto}\n");
    _write("$dir/users-linger.oath", "HOTP/T30 linus - $SECRET{linus}\n");
    _write("$dir/users.mod_authn_otp", $legacy);
    # The directory a <Directory> section with SetHandler otp-verify maps to (t/api/).
    mkdir "$dir/api-dir" unless -d "$dir/api-dir";
    # The session key: 0600 and owned by root or the user httpd reads it as (mod_otp refuses
    # anything else). Not in $dir, which the runner gives to the children's user when root.
    my $key_dir = "$dir-key";
    mkdir $key_dir unless -d $key_dir;
    chmod 0755, $key_dir;
    _write("$key_dir/session.key", unpack('H*', join '', map { chr int rand 256 } 1 .. 32) . "\n");
    chmod 0600, "$key_dir/session.key";
    # First factor for the Require otp tests: ada / first-factor-pw (bcrypt via htpasswd).
    system("htpasswd -bcB '$dir/htpasswd' ada first-factor-pw 2>/dev/null") == 0
        or die "htpasswd failed";
    system("htpasswd -bB '$dir/htpasswd' bea first-factor-pw 2>/dev/null") == 0
        or die "htpasswd failed";
    system("htpasswd -bB '$dir/htpasswd' adam first-factor-pw 2>/dev/null") == 0
        or die "htpasswd failed";
}

sub _write {
    my ($path, $content) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $content;
    close $fh or die "$path: $!";
}

sub _oathtool {
    my @args = @_;
    open my $fh, '-|', 'oathtool', @args or die "oathtool: $!";
    my $out = <$fh>;
    close $fh or die "oathtool @args failed";
    chomp $out;
    _remember_code($out);
    return $out;
}

# httpd.conf for a server of a test's own (a configtest, or a server the test starts on a
# port it picked): the modules mod_otp needs and mod_otp itself, then `body`.
sub write_standalone_conf {
    my (%opt) = @_;
    my $dir = $opt{dir};
    my $modules = `apxs -q LIBEXECDIR`;
    chomp $modules;
    my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
    # The MPM of the suite's run (scripts/run-e2e-tests.sh sets OTP_MPM) unless the test needs
    # one (`mpm`), plus `modules`.
    my $mpm = $opt{mpm} // $ENV{OTP_MPM} // 'event';
    my @load = map { "LoadModule ${_}_module $modules/mod_$_.so\n" }
        ("mpm_$mpm", qw(authn_core authz_core authz_user auth_basic socache_shmcb),
         @{ $opt{modules} // [] });
    open my $c, '>', "$dir/httpd.conf" or die "$dir/httpd.conf: $!";
    print $c qq{ServerRoot "$dir"\nServerName 127.0.0.1\nListen 127.0.0.1:$opt{port}\n},
             qq{PidFile "$dir/httpd.pid"\nErrorLog "$dir/error_log"\n}, $user, @load,
             "LoadModule otp_module $ENV{OTP_MODULE_PATH}\n", $opt{body};
    close $c or die "$dir/httpd.conf: $!";
    return "$dir/httpd.conf";
}

# Writes files under $dir (path relative to it => content), making directories as needed.
sub write_files {
    my ($dir, %files) = @_;
    require File::Path;
    require File::Basename;
    for my $path (sort keys %files) {
        File::Path::make_path(File::Basename::dirname("$dir/$path"));
        open my $fh, '>', "$dir/$path" or die "$dir/$path: $!";
        print $fh $files{$path};
        close $fh or die "$dir/$path: $!";
    }
}

# POST `body` (a Perl structure) as JSON to `url` (a server of the test's own); returns
# (response, decoded body or {}).
sub post_json {
    my ($ua, $url, $body) = @_;
    require JSON::PP;
    require HTTP::Request;
    my $req = HTTP::Request->new(POST => $url);
    $req->header('Content-Type' => 'application/json', Accept => 'application/json');
    $req->content(JSON::PP::encode_json($body));
    my $res = $ua->request($req);
    return ($res, eval { JSON::PP::decode_json($res->content) } // {});
}

# POST {"type":"start","data":{"user":…,"otp":…}} to the start endpoint at `url`.
sub post_start {
    my ($ua, $url, $user, $otp) = @_;
    return post_json($ua, $url, {type => 'start', data => {user => $user, otp => $otp}});
}

# A file's whole content, or '' when it does not exist (yet).
sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return <$fh>;
}

# Every event in an event log file, decoded.
sub read_events {
    my ($path) = @_;
    require JSON::PP;
    open my $fh, '<', $path or return ();
    my @events;
    while (my $line = <$fh>) { push @events, JSON::PP::decode_json($line) }
    return @events;
}

# A directory for a server of a test's own, reachable by httpd's children.
sub standalone_dir {
    require File::Temp;
    my $dir = File::Temp::tempdir(CLEANUP => 1);
    chmod 0755, $dir;
    return $dir;
}

# A free loopback port, for a server of a test's own.
sub free_port {
    require IO::Socket::INET;
    my $probe = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1', LocalPort => 0)
        or die "no free port: $!";
    return $probe->sockport;
}

# Servers started by start_standalone and not stopped yet (dir => PID): a test that dies
# half-way still stops them when it exits. The PID is kept, not re-read: File::Temp may have
# removed the directory, pid file and all, by then.
my %running_standalone;
END {
    local $?;
    kill 'TERM', $_ for values %running_standalone;
}

# Starts httpd on $dir/httpd.conf and waits until `ready_url` answers 401 through `ua`.
sub start_standalone {
    my ($dir, $ua, $ready_url) = @_;
    require Apache::Test;
    system 'chown', '-R', 'nobody:nogroup', $dir if $> == 0;
    system(Apache::Test::vars('httpd'), '-f', "$dir/httpd.conf", '-k', 'start') == 0
        or die 'httpd did not start';
    for (1 .. 50) {
        if ($ua->get($ready_url)->code == 401) {
            if (open my $fh, '<', "$dir/httpd.pid") { chomp(my $pid = <$fh>); $running_standalone{$dir} = $pid }
            return 1;
        }
        select undef, undef, undef, 0.1;
    }
    die "httpd on $dir did not answer";
}

# Stops the server by the PID in its pid file; true when it is gone.
sub stop_standalone {
    my ($dir) = @_;
    delete $running_standalone{$dir};
    open my $fh, '<', "$dir/httpd.pid" or die "no pid file in $dir";
    chomp(my $pid = <$fh>);
    kill 'TERM', $pid;
    for (1 .. 100) {
        return 1 unless kill 0, $pid;
        select undef, undef, undef, 0.1;
    }
    return 0;
}

# An independent browser-like client: its own cookie jar, no automatic redirects.
sub new_client {
    require LWP::UserAgent;
    require HTTP::Cookies;
    my $ua = LWP::UserAgent->new(cookie_jar => HTTP::Cookies->new, max_redirect => 0,
                                 timeout => 30, keep_alive => 1);
    $ua->default_header(Accept => 'text/html');
    return $ua;
}

sub url_of {
    require Apache::TestRequest;
    return Apache::TestRequest::resolve_url(shift);
}

# POST {"type":"start","data":{...}} to a start endpoint; returns (response, decoded body).
sub start_json {
    my ($ua, $path, $data, %opt) = @_;
    require JSON::PP;
    require HTTP::Request;
    my $body = exists $opt{raw} ? $opt{raw}
             : JSON::PP->new->canonical->encode({type => $opt{type} // 'start', data => $data});
    my $req = HTTP::Request->new(POST => url_of($path));
    $req->header('Content-Type' => $opt{content_type} // 'application/json');
    $req->header(Accept => 'application/json');
    $req->header(%{ $opt{headers} }) if $opt{headers};
    $req->authorization_basic(@{ $opt{basic} }) if $opt{basic};
    $req->content($body);
    my $res = $ua->request($req);
    my $decoded = eval { JSON::PP->new->utf8->decode($res->content) };
    return ($res, $decoded);
}

# Every code the tests compute is remembered, so the last test can check that none of them
# reached a log.
# Codes the tests got from elsewhere (delivered codes) join the secrets test's list.
sub remember_code { _remember_code(@_) }

sub _remember_code {
    my ($code) = @_;
    my $file = File::Spec->catfile(var_dir(), 'codes-used');
    open my $fh, '>>', $file or return;
    print $fh "$code\n";
    close $fh;
}

sub codes_used {
    my $file = File::Spec->catfile(var_dir(), 'codes-used');
    open my $fh, '<', $file or return ();
    chomp(my @codes = <$fh>);
    my %seen;
    return grep { !$seen{$_}++ } @codes;
}

# Parsed events written to the event log after byte `offset`: (list of hashes, new offset).
# Every line must be valid JSON. Server events (users file reloads, which each httpd process
# reports when it first sees a changed file, so at times no test controls) are left out
# unless `all => 1`.
sub events_since {
    my ($offset, %opt) = @_;
    require JSON::PP;
    my $log = File::Spec->catfile($FindBin::Bin, '..', 'logs', 'otp-events.log');
    open my $fh, '<:raw', $log or return ([], $offset);
    seek $fh, $offset, 0;
    my @events;
    my $json = JSON::PP->new->utf8;
    while (my $line = <$fh>) {
        die "event line without newline: $line" unless $line =~ /\n\z/;
        my $event = $json->decode($line);
        $offset += length $line;
        next if !$opt{all} && $event->{event_id} =~ /^WEB_10002[89]$/;
        push @events, $event;
    }
    return (\@events, $offset);
}

# totp(user_secret_name, offset_steps, %opts): the code oathtool computes for now+offset.
sub totp {
    my ($name, $offset, %opt) = @_;
    my $step = $opt{step} // 30;
    my $t = time + ($offset // 0) * $step;
    my @alg = $opt{sha} ? ("--totp=$opt{sha}") : ('--totp');
    return _oathtool(@alg, "--time-step-size=${step}s", '--digits=' . ($opt{digits} // 6),
                     '--now=' . _utc($t), $SECRET{$name});
}

sub _utc {
    my @t = gmtime(shift);
    return sprintf '%04d-%02d-%02d %02d:%02d:%02d UTC', $t[5] + 1900, $t[4] + 1, @t[3, 2, 1, 0];
}

# Sleeps past the end of the current time step when fewer than `margin` seconds are left,
# so a code computed now is still current when the server checks it.
sub wait_for_fresh_step {
    my ($step, $margin) = @_;
    $step //= 30;
    $margin //= 4;
    my $left = $step - time % $step;
    sleep $left if $left <= $margin;
}

# Sends `count` requests at once (one process each, started together) and returns their
# HTTP statuses.
sub parallel_statuses {
    my ($count, $request) = @_;
    return parallel_results($count, sub { $request->(@_)->code });
}

sub hotp {
    my ($name, $counter, %opt) = @_;
    return _oathtool('--hotp', "--counter=$counter", '--digits=' . ($opt{digits} // 6),
                     $SECRET{$name});
}

# GET with Basic credentials, optionally from another loopback source address.
sub basic_get {
    my ($url, $user, $password, %opt) = @_;
    require Apache::TestRequest;
    my @headers = (Authorization => 'Basic ' . encode_base64("$user:$password", ''),
                   %{ $opt{headers} // {} });
    if ($opt{from}) {
        require LWP::Protocol::http;
        local @LWP::Protocol::http::EXTRA_SOCK_OPTS = (LocalAddr => $opt{from});
        return Apache::TestRequest::GET($url, @headers);
    }
    return Apache::TestRequest::GET($url, @headers);
}

# The users file line of a user, as the server left it.
sub users_file_line {
    my ($file, $user) = @_;
    open my $fh, '<', File::Spec->catfile(var_dir(), $file) or die "$file: $!";
    while (my $line = <$fh>) {
        next if $line =~ /^\s*(#|$)/;
        my @f = split /\s+/, $line;
        return $line if $f[1] eq $user;
    }
    return undef;
}

# Error log lines written after a given byte offset (the offset of an earlier call).
sub server_log_since {
    my ($offset) = @_;
    my $log = File::Spec->catfile($FindBin::Bin, '..', 'logs', 'error_log');
    open my $fh, '<', $log or die "$log: $!";
    seek $fh, $offset, 0;
    local $/;
    my $text = <$fh> // '';
    return wantarray ? ($text, $offset + length $text) : $text;
}


# ---- the verify API (t/api/) ----------------------------------------------------------
# POST to the verify API at `path` (a path of the test server, or a whole URL): `body` a Perl
# structure (sent as UTF-8 JSON, keys sorted) or a string sent as it is (undef: no body).
# Options: content_type (undef: no Content-Type header), headers => {...}, method.
# Returns (response, decoded JSON answer or undef).
sub api_call {
    my ($path, $body, %opt) = @_;
    require JSON::PP;
    require HTTP::Request;
    require LWP::UserAgent;
    my $url = $path =~ m{^https?://} ? $path : url_of($path);
    my $content = ref $body ? JSON::PP->new->utf8->canonical->encode($body) : $body;
    my $req = HTTP::Request->new(($opt{method} // 'POST') => $url);
    my $type = exists $opt{content_type} ? $opt{content_type} : 'application/json';
    $req->header('Content-Type' => $type) if defined $type;
    $req->header(%{ $opt{headers} }) if $opt{headers};
    $req->content($content) if defined $content;
    my $res = LWP::UserAgent->new(timeout => 30, keep_alive => 0)->request($req);
    my $decoded = eval { JSON::PP->new->utf8->decode($res->content) };
    return ($res, $decoded);
}

# POST a form (`fields`: [name => value, ...], or a string sent as it is) to `path`, as
# Toopher clients call initiate. Options as api_call's.
sub api_form {
    my ($path, $fields, %opt) = @_;
    require URI;
    my $body = $fields;
    if (ref $fields) {
        my $uri = URI->new('http:');
        $uri->query_form(@$fields);
        $body = $uri->query // '';
    }
    return api_call($path, $body, content_type => 'application/x-www-form-urlencoded', %opt);
}

# A six-digit code that is none of the user's TOTP codes from two steps back to two ahead.
sub wrong_totp {
    my ($name) = @_;
    my %valid = map { (totp($name, $_) => 1) } -2 .. 2;
    my ($wrong) = grep { !$valid{$_} } qw(000000 111111 222222 333333 444444 555555);
    return $wrong;
}


# As parallel_statuses, but each request's sub returns a string (say "429 2003"), and the
# strings are returned.
sub parallel_results {
    my ($count, $request) = @_;
    pipe my $go_read, my $go_write or die "pipe: $!";
    my @children;
    for my $i (1 .. $count) {
        pipe my $result_read, my $result_write or die "pipe: $!";
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            close $go_write;
            close $result_read;
            sysread $go_read, my $byte, 1;     # wait for the start signal
            print $result_write $request->($i);
            close $result_write;
            require POSIX;
            POSIX::_exit(0);
        }
        close $result_write;
        push @children, [$pid, $result_read];
    }
    close $go_read;
    close $go_write;                            # EOF releases every child at once
    my @results;
    for my $child (@children) {
        my ($pid, $fh) = @$child;
        local $/;
        my $result = <$fh> // 'none';
        waitpid $pid, 0;
        push @results, $result;
    }
    return @results;
}

1;
