package TwoWayTest;
# Shared pieces of the two-way end-to-end tests (t/twoway/): a server of the test's own whose
# portal is behind AuthType Basic with mod_authn_file (so r->user is the portal user), and the
# app's and the portal user's calls on it, answering ($res, the decoded JSON or {}).
#
#   my $tw = TwoWayTest->new(users => [qw(alice bob)]);      # directory, port, htpasswd
#   $tw->start(conf => [$tw->twoway_location('/twoway'), $tw->portal_location('/portal')],
#              ready => '/portal');
#   my ($res, $b) = $tw->init;  $tw->enter('alice', $b->{data});  $tw->complete($flow, $response);
#   my @events = $tw->events;   ok $tw->stop, 'the server stops';
#
# Every user's password is "pw-<user>-first" ($tw->password($user)).
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use MIME::Base64 qw(encode_base64);
use OTPTest qw(api_call read_events slurp write_standalone_conf standalone_dir free_port
               start_standalone stop_standalone new_client);

our @EXPORT_OK = qw(summary typo);

# A directory and a port for the server, and an htpasswd file with `users` in it.
sub new {
    my ($class, %opt) = @_;
    my $port = free_port();
    my $self = bless {dir => standalone_dir(), port => $port, base => "http://127.0.0.1:$port"}, $class;
    my @users = @{ $opt{users} // [] };
    for my $i (0 .. $#users) {
        system('sh', '-c', 'htpasswd "$@" 2>/dev/null', 'htpasswd', $i ? '-bm' : '-cbm', $self->htpasswd,
               $users[$i], $self->password($users[$i])) == 0 or die 'htpasswd failed';
    }
    return $self;
}

sub dir      { $_[0]{dir} }
sub port     { $_[0]{port} }
sub base     { $_[0]{base} }
sub htpasswd { "$_[0]{dir}/htpasswd" }
sub password { my ($self, $user) = @_; return "pw-$user-first" }

# The value of an Authorization header that logs `user` in at the portal.
sub basic {
    my ($self, $user, $password) = @_;
    return 'Basic ' . encode_base64("$user:" . ($password // $self->password($user)), '');
}
# api_call's options that log `user` in.
sub as { my ($self, $user) = @_; return (headers => {Authorization => $self->basic($user)}) }

# A <Location> of the app's calls (SetHandler otp-twoway), with `directives` before its
# Require all granted.
sub twoway_location {
    my ($self, $path, @directives) = @_;
    return join '', "<Location $path>\n", map({ "    $_\n" } 'SetHandler otp-twoway', @directives,
                                                'Require all granted'), "</Location>\n";
}

# A <Location> of the portal step behind the portal's Basic login (htpasswd), with
# `directives` after its Require valid-user.
sub portal_location {
    my ($self, $path, @directives) = @_;
    return join '', "<Location $path>\n",
        map({ "    $_\n" } 'SetHandler otp-twoway-portal', 'AuthType Basic', 'AuthName "Portal"',
                           'AuthBasicProvider file', 'AuthUserFile "' . $self->htpasswd . '"',
                           'Require valid-user', @directives),
        "</Location>\n";
}

# Writes httpd.conf (`global` lines, OTPEventLog <dir>/events.log, then the `conf` pieces,
# with mod_authn_file and `modules`) and starts the server; it is up when `ready` (a path on
# it behind a login) answers 401.
sub start {
    my ($self, %opt) = @_;
    my $body = join '', map({ "$_\n" } @{ $opt{global} // [] }, qq{OTPEventLog "$self->{dir}/events.log"}),
                        @{ $opt{conf} // [] };
    write_standalone_conf(dir => $self->{dir}, port => $self->{port},
                          modules => ['authn_file', @{ $opt{modules} // [] }], body => $body);
    start_standalone($self->{dir}, new_client(), $self->{base} . $opt{ready});
    return $self;
}

# A JSON call on the server: ($res, the decoded answer or {}). `from` sends it from another
# local address; the other options are api_call's.
sub call {
    my ($self, $path, $body, %opt) = @_;
    my $from = delete $opt{from};
    require LWP::Protocol::http;
    local @LWP::Protocol::http::EXTRA_SOCK_OPTS = $from ? (LocalAddr => $from) : ();
    my ($res, $json) = api_call("$self->{base}$path", $body, %opt);
    return ($res, $json // {});
}

# The app's init at the two-way location `loc` (default /twoway).
sub init { my ($self, $loc) = @_; return $self->call(($loc // '/twoway') . '/init', undef) }

# The portal user `user` enters a client code at the portal `loc` (default /portal).
sub enter {
    my ($self, $user, $code, $loc) = @_;
    return $self->call($loc // '/portal', {data => $code}, $self->as($user));
}

# The app's complete of `flow` with the challenge response (sent as a JSON string).
sub complete {
    my ($self, $flow, $response, $loc) = @_;
    return $self->call(($loc // '/twoway') . '/complete',
                       {flow => $flow, data => defined $response ? "$response" : undef});
}

# The events written so far (after a moment for the last ones to reach the file).
sub events {
    my ($self) = @_;
    select undef, undef, undef, 0.3;
    return read_events("$self->{dir}/events.log");
}
sub event_log { slurp("$_[0]{dir}/events.log") }
sub error_log { slurp("$_[0]{dir}/error_log") }

# Stops the server; true when it is gone.
sub stop { stop_standalone($_[0]{dir}) }

# [HTTP status, status, error] of an answer.
sub summary { my ($res, $b) = @_; $b //= {}; return [$res->code, $b->{status}, $b->{error}] }

# A response of the same shape that is not the right one (the last digit changed).
sub typo { my ($code) = @_; my $d = substr($code, -1); return substr($code, 0, -1) . (($d + 1) % 10) }

1;
