# The state store belongs to the httpd parent, not to a configuration generation (README
# "State store", "Restarts"): after `httpd -k graceful` and `httpd -k restart` a locked user is
# still locked and a used code is still refused as a replay. Changing the store's size starts
# an empty store, and the log says so.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use Time::HiRes qw(sleep);
use OTPTest qw(write_files post_start read_events slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client totp wait_for_fresh_step %SECRET);

plan tests => 12;

my $dir = standalone_dir();
my $port = free_port();
write_files($dir, 'users.oath' => join('', map { "HOTP/T30 $_ - $SECRET{$_}\n" } qw(alice bob)),
            'htdocs/app/index.html' => "inside\n");
sub conf_with_store {
    my ($store) = @_;
    write_standalone_conf(dir => $dir, port => $port, body => <<"END");
DocumentRoot "$dir/htdocs"
OTPStateStore $store
OTPEventLog "$dir/events.log"
<Location /app>
    AuthType OTP
    AuthName "Application"
    OTPUsersFile "$dir/users.oath"
    OTPLockout 2 600 900
    Require valid-user
</Location>
END
}
conf_with_store('shmcb');
my $base = "http://127.0.0.1:$port";
start_standalone($dir, new_client(), "$base/app/");

sub start { my ($user, $otp) = @_; return (post_start(new_client(), "$base/app/.otp/start", $user, $otp))[0]->code }
sub generations { my @m = slurp("$dir/error_log") =~ /resuming normal operations/g; return scalar @m }
# Signals the running server and waits until the new generation is up.
sub restart {
    my ($how) = @_;
    my $before = generations();
    require Apache::Test;
    system(Apache::Test::vars('httpd'), '-f', "$dir/httpd.conf", '-k', $how) == 0
        or die "httpd -k $how failed";
    for (1 .. 100) {
        last if generations() > $before;
        sleep 0.1;
    }
    sleep 0.5;
    return generations() > $before;
}
sub replay_refused {
    my @replays = grep { $_->{event_id} eq 'WEB_100020' && $_->{IDENTIFIER} eq 'alice'
                         && ($_->{reason} // '') eq 'replay' } read_events("$dir/events.log");
    return scalar @replays;
}

wait_for_fresh_step(30, 12);
my $code = totp('alice');
is start('alice', $code), 200, 'alice logs in';
start('bob', '000000') for 1 .. 2;
is start('bob', '000000'), 429, 'bob is locked';

ok restart('graceful'), 'graceful restart';
is start('bob', totp('bob')), 429, 'after a graceful restart bob is still locked';
is start('alice', $code), 401, "alice's used code is refused";
is replay_refused(), 1, '... as a replay';

ok restart('restart'), 'full restart (SIGHUP)';
is start('bob', totp('bob')), 429, 'after a full restart bob is still locked';
is start('alice', $code), 401, "alice's used code is refused again";

# Another size: a new, empty store.
conf_with_store('shmcb:(1048576)');
ok restart('graceful'), 'graceful restart with another store size';
like slurp("$dir/error_log"), qr/the store's size changed from \d+ to 1048576 bytes; the new store starts empty/,
    'the log says the new store starts empty';

ok stop_standalone($dir), 'the server stops';
