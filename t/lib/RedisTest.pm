package RedisTest;
# Helpers for the native Redis state store's end-to-end tests (t/redis/): real redis-server,
# replica and redis-sentinel processes, and several httpd "hosts" sharing one Redis, as in
# README "Several hosts".
#
# Everything started here binds to 127.0.0.1 only, on ports free_port picked, without
# persistence (--save '' --appendonly no), with its working directory in a temporary
# directory, and is stopped by PID when the test ends: END below, which also runs when the
# test dies or is sent SIGTERM/SIGINT.
#
# The hosts: one configuration body, each host its own copy of the users file, the same
# OTPSessionKeyFile and the same OTPStateStore. Real hosts read their copy at the same path
# (/etc/apache2/otp/users.oath on each), and mod_otp scopes lockouts, replay records and
# sessions by that path; so each test host runs in a mount namespace of its own (unshare -m)
# in which its copy is bind-mounted at one common path. The test edits a host's copy through
# $host->{users_copy} (outside the namespace).
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Temp ();          # before our END: File::Temp's cleanup then runs after ours
use MIME::Base64 qw(encode_base64);
use POSIX ();
use Time::HiRes qw(time sleep);
use OTPTest qw(free_port standalone_dir write_standalone_conf write_files slurp new_client);

our @EXPORT_OK = qw(start_redis stop_redis kill_redis pause_redis resume_redis redis_cli
                    start_sentinels sentinel_master wait_until temp_dir
                    start_hosts start_host await_hosts stop_host stop_hosts host_events count_events
                    event_mark error_log_since error_log_of crash_lines served_requests
                    login_json basic_get_host new_client_get page_attempt form_post session_key_file
                    write_secret_file httpd_binary users_copy_replace);

my $OWNER = $$;
my %redis_procs;    # pid => description: redis-server and redis-sentinel processes
my %httpd_pids;     # pid => host dir
END {
    if ($$ == $OWNER) {
        local $?;
        cleanup();
    }
}
# So END runs when the harness (or a person) interrupts the test.
for my $sig (qw(TERM INT HUP)) {
    $SIG{$sig} = sub { exit 1 } if !$SIG{$sig} || $SIG{$sig} eq 'DEFAULT';
}

my %launched;       # host dir => 1: started, PID maybe not read yet
sub cleanup {
    for my $dir (keys %launched) {
        open my $fh, '<', "$dir/httpd.pid" or next;
        chomp(my $pid = <$fh> // '');
        $httpd_pids{$pid} = $dir if $pid =~ /^\d+$/;
    }
    for my $pid (keys %httpd_pids) { kill 'TERM', $pid }
    for my $pid (keys %redis_procs) { kill 'CONT', $pid; kill 'KILL', $pid }
    for my $pid (keys %redis_procs) { waitpid $pid, 0 }
    my $until = time + 10;
    for my $pid (keys %httpd_pids) {
        sleep 0.05 while kill(0, $pid) && time < $until;
        kill 'KILL', $pid if kill 0, $pid;
    }
    %redis_procs = ();
    %httpd_pids = ();
    %launched = ();
}

# A temporary directory (removed at exit), traversable by httpd's children.
sub temp_dir {
    my $dir = File::Temp::tempdir('redis-e2e-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    return $dir;
}

# Polls `check` every `interval` s until it returns true or `timeout` s passed; returns its
# last value.
sub wait_until {
    my ($timeout, $check, $interval) = @_;
    my $until = time + $timeout;
    my $value;
    while (1) {
        $value = $check->();
        return $value if $value || time >= $until;
        sleep($interval // 0.05);
    }
}

# ---- Redis ---------------------------------------------------------------------------------

my $have_setpriv = system('setpriv --pdeathsig KILL true >/dev/null 2>&1') == 0;

sub _spawn {
    my ($what, $log, @cmd) = @_;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT;
        # Killed with the test even when the test itself is killed (SIGKILL skips END).
        unshift @cmd, 'setpriv', '--pdeathsig', 'KILL' if $have_setpriv;
        { no warnings 'exec'; exec @cmd }
        POSIX::_exit(127);
    }
    $redis_procs{$pid} = $what;
    return $pid;
}

# redis-cli against `r` (a server or sentinel from start_redis / start_sentinels): its
# output, chomped (a list of lines in list context).
sub redis_cli {
    my ($r, @args) = @_;
    my @conn = $r->{unixsocket} && !$r->{port} ? ('-s', $r->{unixsocket})
             : ('-h', '127.0.0.1', '-p', $r->{port});
    push @conn, '-a', $r->{password}, '--no-auth-warning' if defined $r->{password};
    open my $fh, '-|', 'sh', '-c', 'exec redis-cli "$@" 2>/dev/null', 'sh', @conn, @args
        or die "redis-cli: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    $out =~ s/\n\z//;
    return wantarray ? split(/\n/, $out) : $out;
}

# Starts a redis-server and waits until it answers PING. Options: port (default a free one;
# 0 with unixsocket: no TCP), dir (default a new temporary one), password (requirepass),
# unixsocket (a path), replicaof => [host, port], args => [more redis-server arguments].
# Returns {pid, port, dir, password, unixsocket, log}.
sub _need {
    my ($program) = @_;
    die "$program is not installed (apt-get install redis-server redis-tools)\n"
        unless grep { -x "$_/$program" } split(/:/, $ENV{PATH}), '/usr/bin';
}

sub start_redis {
    my (%opt) = @_;
    _need($_) for qw(redis-server redis-cli);
    my $dir = $opt{dir} // temp_dir();
    my $port = exists $opt{port} ? $opt{port} : free_port();
    my @args = ('--bind', '127.0.0.1', '--port', $port, '--save', '', '--appendonly', 'no',
                '--dir', $dir, '--daemonize', 'no', '--protected-mode', 'yes',
                '--dbfilename', "dump-$port.rdb");
    push @args, '--requirepass', $opt{password} if defined $opt{password};
    push @args, '--unixsocket', $opt{unixsocket}, '--unixsocketperm', '777' if $opt{unixsocket};
    if ($opt{replicaof}) {
        push @args, '--replicaof', @{ $opt{replicaof} };
        push @args, '--masterauth', $opt{password} if defined $opt{password};
    }
    push @args, @{ $opt{args} // [] };
    my $r = {port => $port, dir => $dir, password => $opt{password},
             unixsocket => $opt{unixsocket}, log => "$dir/redis-$port.log"};
    $r->{pid} = _spawn("redis-server $port", $r->{log}, 'redis-server', @args);
    wait_until(10, sub { !kill(0, $r->{pid}) || redis_cli($r, 'PING') eq 'PONG' })
        or die "redis-server on port $port did not answer:\n" . slurp($r->{log});
    die "redis-server on port $port exited:\n" . slurp($r->{log}) unless kill 0, $r->{pid};
    return $r;
}

# Stops a server (SIGTERM, or the signal given) and waits until it is gone.
sub stop_redis {
    my ($r, $signal) = @_;
    return unless $r->{pid};
    kill 'CONT', $r->{pid};
    kill $signal // 'TERM', $r->{pid};
    waitpid $r->{pid}, 0;
    delete $redis_procs{ $r->{pid} };
    $r->{pid} = undef;
}
sub kill_redis { stop_redis($_[0], 'KILL') }
sub pause_redis { kill 'STOP', $_[0]{pid} or die "SIGSTOP: $!" }
sub resume_redis { kill 'CONT', $_[0]{pid} or die "SIGCONT: $!" }

# Three (or `count`) sentinels monitoring `master` (a server from start_redis) as `name`,
# quorum 2. Waits until every sentinel knows the master, its replicas (`replicas`, default 1)
# and the other sentinels, so that a failover can be agreed on at once.
sub start_sentinels {
    my (%opt) = @_;
    my $master = $opt{master};
    my $name = $opt{name} // 'mymaster';
    my $count = $opt{count} // 3;
    my $replicas = $opt{replicas} // 1;
    _need('redis-sentinel');
    my @sentinels;
    for my $i (1 .. $count) {
        my $dir = temp_dir();
        my $port = free_port();
        open my $c, '>', "$dir/sentinel.conf" or die "$dir/sentinel.conf: $!";
        print $c <<"END";
port $port
bind 127.0.0.1
daemonize no
dir $dir
sentinel resolve-hostnames no
sentinel monitor $name 127.0.0.1 $master->{port} 2
sentinel down-after-milliseconds $name @{[ $opt{down_after} // 1000 ]}
sentinel failover-timeout $name @{[ $opt{failover_timeout} // 3000 ]}
sentinel parallel-syncs $name 1
END
        close $c or die "$dir/sentinel.conf: $!";
        my $s = {port => $port, dir => $dir, name => $name, log => "$dir/sentinel.log"};
        $s->{pid} = _spawn("redis-sentinel $port", $s->{log}, 'redis-sentinel', "$dir/sentinel.conf");
        push @sentinels, $s;
    }
    for my $s (@sentinels) {
        wait_until(20, sub {
            return 0 unless kill 0, $s->{pid};
            my @others = grep { /^ip$/ } redis_cli($s, 'SENTINEL', 'sentinels', $name);
            my @reps = grep { /^ip$/ } redis_cli($s, 'SENTINEL', 'replicas', $name);
            return @others >= $count - 1 && @reps >= $replicas;
        }, 0.2) or die "sentinel $s->{port} did not find its peers and replicas:\n" . slurp($s->{log});
    }
    return @sentinels;
}

# The master a sentinel names now: "host:port".
sub sentinel_master {
    my ($s) = @_;
    my @addr = redis_cli($s, 'SENTINEL', 'get-master-addr-by-name', $s->{name});
    return join ':', @addr;
}

# ---- httpd hosts ---------------------------------------------------------------------------

sub httpd_binary {
    my $httpd = eval { require Apache::Test; Apache::Test::vars('httpd') };
    return $httpd if $httpd;
    my $sbin = `apxs -q SBINDIR`;
    my $target = `apxs -q TARGET`;
    chomp($sbin, $target);
    return "$sbin/$target";
}

my $key_dir;
# The one OTPSessionKeyFile of every host of this test: 0600, owned by root (the user that
# reads it at start-up), in a directory that start_host does not give to httpd's user.
sub session_key_file {
    return "$key_dir/session.key" if $key_dir;
    $key_dir = temp_dir();
    write_secret_file("$key_dir/session.key", unpack('H*', join '', map { chr int rand 256 } 1 .. 32) . "\n");
    return "$key_dir/session.key";
}

# A secret file (session key, Redis password) as mod_otp wants it: 0600, owned by us.
sub write_secret_file {
    my ($path, $content) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $content;
    close $fh or die "$path: $!";
    chmod 0600, $path;
    return $path;
}

# Whether hosts can get their users file copies at one path (mount namespaces).
my $namespaces;
sub _namespaces_work {
    return $namespaces if defined $namespaces;
    my $a = temp_dir();
    my $b = temp_dir();
    write_files($a, 'probe' => "ok\n");
    my $out = `unshare -m --propagation private sh -c 'mount --bind "\$0" "\$1" && cat "\$1/probe"' '$a' '$b' 2>&1`;
    $namespaces = ($out // '') eq "ok\n" ? 1 : 0;
    return $namespaces;
}

my $common_dir;
# The path every host's configuration names as its users file.
sub common_users_file {
    $common_dir //= temp_dir();
    return "$common_dir/users.oath";
}

# Starts one host. Options:
#   body     configuration after the common lines (the same for every host of a test)
#   store    the OTPStateStore argument (omitted: no OTPStateStore line)
#   users    the users file's content (omitted: no OTPUsersFile line)
#   global   lines before `body` for this host only (tests that give hosts different
#            settings, such as OTPStateStorePrefix)
#   modules  more modules to load; pages => [paths] of htdocs/<path>/index.html to create
#   ready    the path that must answer 401 once the server is up (default /app/)
#   no_wait  return at once (then await_hosts)
# Returns {index, dir, port, base, pid, events, error_log, access_log, users_copy}.
sub start_host {
    my (%opt) = @_;
    my $dir = standalone_dir();
    my $port = free_port();
    my $users_dir = "$dir/users";
    mkdir $users_dir or die "$users_dir: $!";
    my $host = {index => $opt{index} // 1, dir => $dir, port => $port,
                base => "http://127.0.0.1:$port", events => "$dir/events.log",
                error_log => "$dir/error_log", access_log => "$dir/access_log",
                users_copy => "$users_dir/users.oath"};
    write_files($dir, map { ("htdocs/$_/index.html" => "$_ on host $host->{index}\n") }
                @{ $opt{pages} // [qw(app basic open)] });
    my $common = '';
    if (defined $opt{users}) {
        die "t/redis needs mount namespaces (root, unshare -m) to give each host its own copy "
            . "of the users file at one path\n" unless _namespaces_work();
        write_files($users_dir, 'users.oath' => $opt{users});
        $common .= 'OTPUsersFile "' . common_users_file() . "\"\n";
    }
    $common .= "OTPStateStore $opt{store}\n" if defined $opt{store};
    my $key = session_key_file();
    # mod_log_config is built into Debian's httpd; elsewhere it is a module.
    my $modules = `apxs -q LIBEXECDIR`;
    chomp $modules;
    my $log_config = -e "$modules/mod_log_config.so"
        ? "<IfModule !log_config_module>\nLoadModule log_config_module $modules/mod_log_config.so\n</IfModule>\n"
        : '';
    write_standalone_conf(dir => $dir, port => $port, modules => $opt{modules} // [],
                          body => <<"END");
${log_config}DocumentRoot "$dir/htdocs"
LogFormat "%P %>s %m %U %D %{X-Test}i" pids
CustomLog "$dir/access_log" pids
OTPEventLog "$dir/events.log"
OTPSessionKeyFile "$key"
$common@{[ $opt{global} // '' ]}
$opt{body}
END
    system 'chown', '-R', 'nobody:nogroup', $dir if $> == 0;
    my @cmd = (httpd_binary(), '-f', "$dir/httpd.conf", '-k', 'start');
    if (defined $opt{users}) {
        @cmd = ('unshare', '-m', '--propagation', 'private', 'sh', '-c',
                'mount --bind "$1" "$2" && shift 2 && exec "$@"',
                'sh', $users_dir, $common_dir, @cmd);
    }
    $launched{$dir} = 1;
    system(@cmd) == 0 or die "httpd (host $host->{index}) did not start:\n" . slurp("$dir/error_log");
    $host->{ready} = $opt{ready} // '/app/';
    return $opt{no_wait} ? $host : _await_host($host);
}

sub _await_host {
    my ($host) = @_;
    my $ua = new_client();
    my $dir = $host->{dir};
    my $ready = wait_until(10, sub {
        # The PID first: a server that answers is stopped by END even if this test dies next.
        if (!$host->{pid} && open my $fh, '<', "$dir/httpd.pid") {
            chomp(my $pid = <$fh> // '');
            if ($pid) { $host->{pid} = $pid; $httpd_pids{$pid} = $dir }
        }
        return $host->{pid} && $ua->get("$host->{base}$host->{ready}")->code == 401;
    }, 0.05);
    die "httpd (host $host->{index}) did not answer:\n" . slurp("$dir/error_log") unless $ready;
    return $host;
}

# `count` hosts (default 3) with the same options (see start_host), started together.
sub start_hosts {
    my (%opt) = @_;
    my @hosts = map { start_host(%opt, index => $_, no_wait => 1) } 1 .. ($opt{count} // 3);
    return map { _await_host($_) } @hosts;
}

# Waits until hosts started with no_wait => 1 answer.
sub await_hosts { return map { _await_host($_) } @_ }

# Stops hosts by their PIDs, all at once; true when every one is gone within 10 s.
sub stop_hosts {
    my (@hosts) = @_;
    my @pids = grep { $_ } map { $_->{pid} } @hosts;
    kill 'TERM', @pids;
    my $gone = wait_until(10, sub { !grep { kill 0, $_ } @pids });
    if ($gone) {
        delete @httpd_pids{@pids};
        delete @launched{ map { $_->{dir} } @hosts };
    }
    return $gone ? 1 : 0;
}
sub stop_host { stop_hosts(@_) }

# Replaces a host's users file copy (atomically, owned by httpd's user as the original), for
# example with an older version of it.
sub users_copy_replace {
    my ($host, $content) = @_;
    my $tmp = "$host->{users_copy}.test-tmp";
    write_files('/', substr($tmp, 1) => $content);
    system 'chown', 'nobody:nogroup', $tmp if $> == 0;
    rename $tmp, $host->{users_copy} or die "rename $tmp: $!";
}

# ---- what the hosts logged -----------------------------------------------------------------

# The current end of each host's event log and error log, for `since`.
sub event_mark {
    my (@hosts) = @_;
    return {map { ($_->{dir} => {events => -s $_->{events} // 0, error => -s $_->{error_log} // 0}) } @hosts};
}

sub _matches {
    my ($event, %filter) = @_;
    for my $k (keys %filter) {
        my $want = $filter{$k};
        my $have = $event->{$k};
        if (ref $want eq 'CODE') { return 0 unless $want->($have) }
        elsif (!defined $want) { return 0 if defined $have }
        elsif (ref $want eq 'Regexp') { return 0 unless defined $have && $have =~ $want }
        else { return 0 unless defined $have && $have eq $want }
    }
    return 1;
}

# The events of a host matching every field of `filter` (value: a string, a qr//, a sub, or
# undef for "absent"); `since => mark` (from event_mark) only those logged after it.
sub host_events {
    my ($host, %filter) = @_;
    my $since = delete $filter{since};
    my $offset = $since ? $since->{ $host->{dir} }{events} : 0;
    my @events;
    open my $fh, '<:raw', $host->{events} or return ();
    seek $fh, $offset, 0;
    require JSON::PP;
    my $json = JSON::PP->new->utf8;
    while (my $line = <$fh>) {
        die "host $host->{index}: event line without newline: $line" unless $line =~ /\n\z/;
        my $event = $json->decode($line);
        push @events, $event if _matches($event, %filter);
    }
    return @events;
}

# How many events of all `hosts` (an array ref) match; in list context the count per host.
sub count_events {
    my ($hosts, %filter) = @_;
    my @counts = map { scalar host_events($_, %filter) } @$hosts;
    my $total = 0;
    $total += $_ for @counts;
    return wantarray ? @counts : $total;
}

sub error_log_of { slurp($_[0]{error_log}) }

sub error_log_since {
    my ($host, $mark) = @_;
    my $text = slurp($host->{error_log});
    return $mark ? substr($text, $mark->{ $host->{dir} }{error}) : $text;
}

# Lines of a host's error log that show a crash or a killed child.
sub crash_lines {
    my ($host) = @_;
    return grep { /exit signal|Segmentation fault|segfault|AH00052|core dumped/ }
        split /\n/, error_log_of($host);
}

# The requests a host served, from its access log: a list of [pid, status, method, path,
# microseconds taken, X-Test request header or -], after byte `offset` when given.
sub served_requests {
    my ($host, $offset) = @_;
    my $text = slurp($host->{access_log});
    $text = substr($text, $offset) if $offset;
    return map { [split / /] } split /\n/, $text;
}

# ---- requests ------------------------------------------------------------------------------

# Headers every request below sends (`local` them): X-Test tags requests in the access log.
our %HEADERS;

# A start request with a new client (a new attempt): (response, decoded body).
sub login_json {
    my ($host, $user, $code, %opt) = @_;
    my $path = $opt{path} // '/app';
    my $ua = $opt{ua} // new_client();
    require JSON::PP;
    require HTTP::Request;
    my $req = HTTP::Request->new(POST => "$host->{base}$path/.otp/start");
    $req->header('Content-Type' => 'application/json', Accept => 'application/json');
    $req->header(Cookie => $opt{cookie}) if $opt{cookie};
    $req->header(%HEADERS) if %HEADERS;
    $req->content(JSON::PP::encode_json({type => 'start', data => {user => $user, otp => $code}}));
    my $res = $ua->request($req);
    return ($res, eval { JSON::PP::decode_json($res->content) } // {});
}

# GET `path` (default /basic/) with Basic credentials.
sub basic_get_host {
    my ($host, $user, $password, $path) = @_;
    my $ua = new_client();
    return $ua->get("$host->{base}" . ($path // '/basic/'), %HEADERS,
                    Authorization => 'Basic ' . encode_base64("$user:$password", ''));
}

# GET `path` of a host with a new client, sending `cookie` ("name=value") when given.
sub new_client_get {
    my ($host, $path, $cookie) = @_;
    return new_client()->get("$host->{base}$path", %HEADERS, $cookie ? (Cookie => $cookie) : ());
}

# Loads the login page from a host: {cookie => "name=value" of the attempt cookie, csrf}.
sub page_attempt {
    my ($host, $path) = @_;
    my $ua = new_client();
    my $res = $ua->get("$host->{base}" . ($path // '/app/'), %HEADERS);
    my ($csrf) = $res->content =~ /name="csrf" value="([^"]+)"/;
    my ($cookie) = join(', ', $res->header('Set-Cookie')) =~ /(otp_session_attempt=[^;]+)/;
    die "no attempt from the page of host $host->{index}: " . $res->status_line
        unless $csrf && $cookie;
    return {cookie => $cookie, csrf => $csrf};
}

# The page's form post of `attempt` (from page_attempt) to a host's start endpoint.
sub form_post {
    my ($host, $attempt, $user, $code, $path) = @_;
    require HTTP::Request;
    require URI;
    my $uri = URI->new('http:');
    $uri->query_form(user => $user, otp => $code, csrf => $attempt->{csrf});
    my $req = HTTP::Request->new(POST => "$host->{base}" . ($path // '/app') . '/.otp/start');
    $req->header('Content-Type' => 'application/x-www-form-urlencoded', Accept => 'text/html',
                 Cookie => $attempt->{cookie}, %HEADERS);
    $req->content($uri->query);
    return new_client()->request($req);
}

1;
