# Session tokens of the verify API (README "Session tokens"): "tokenType":"session" returns a
# token valid at <loc>/token until OTPSessionLifetime after its issue, not after, not at another
# location or virtual host, not when tampered with, not once its user is locked out; a token
# is no session cookie and a session cookie is no token.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use FindBin;
use lib "$FindBin::Bin/../lib";
use Time::Local qw(timegm);
use OTPTest qw(api_call totp wrong_totp new_client start_json url_of);

plan tests => 31;

sub epoch_of {
    my ($iso) = @_;
    my ($y, $m, $d, $H, $M, $S, $ms) = ($iso // '') =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$/
        or return undef;
    return timegm($S, $M, $H, $d, $m - 1, $y);
}
sub check_token {
    my ($path, $token, %opt) = @_;
    return api_call($path, {token => $token}, %opt);
}
sub refused_token {
    my ($res, $body) = @_;
    return [$res->code, $body && $body->{status}, $body && $body->{errorCode}, $body && $body->{error}];
}
my $INVALID = [401, 'ERROR', 2004, 'invalid_token'];

# ---- a token and its check -------------------------------------------------------------------
my $before = time;
my ($res, $body) = api_call('/api/token1', {userName => 'ulla', otp => totp('ulla'), tokenType => 'session',
                                            orgName => 'acme', clientTxnId => 'k-1'});
is $res->code, 200, 'verify with tokenType session: 200';
my $token = $body->{token} // {};
is_deeply [sort keys %$body], [qw(clientTxnId orgName status token txnId userName)], '... the usual members and token';
is_deeply [sort keys %$token], [qw(expiresAt expiresIn issuedAt type value)], '... token: type, value, issuedAt, expiresAt, expiresIn';
is_deeply [@$token{qw(type expiresIn)}], ['session', 28800], '... a session token for OTPSessionLifetime (28800 s)';
my ($issued, $expires) = map { epoch_of($token->{$_}) } qw(issuedAt expiresAt);
ok defined $issued && $issued >= $before - 1 && $issued <= time + 1, "... issued now ($token->{issuedAt})";
is defined $expires && defined $issued ? $expires - $issued : -1, 28800, '... expiresAt = issuedAt + 28800 s';
my $value = $token->{value} // '';
like $value, qr/^[A-Za-z0-9_-]{40,}$/, '... the value is base64url';

($res, $body) = check_token('/api/token1/token', $value);
is $res->code, 200, '<loc>/token: 200';
is_deeply [sort keys %$body], [qw(expiresAt expiresIn issuedAt status txnId userName)], '... its members';
is_deeply [@$body{qw(status userName issuedAt expiresAt txnId)}],
    ['VALID', 'ulla', $token->{issuedAt}, $token->{expiresAt}, $res->header('X-Request-Id')],
    '... VALID, for ulla, issued and expiring as verify said, txnId of this call';
ok $body->{expiresIn} <= 28800 && $body->{expiresIn} >= 28800 - (time - $issued) - 1, "... expiresIn $body->{expiresIn}";
($res, $body) = check_token('/api/token1/token', $value);
is $res->code, 200, 'checked again: still valid (checking does not use it up)';

# ---- tampered tokens ---------------------------------------------------------------------------
my $middle = int(length($value) / 2);
my $flipped = $value;
substr($flipped, $middle, 1) = substr($value, $middle, 1) eq 'A' ? 'B' : 'A';
is_deeply refused_token(check_token('/api/token1/token', $flipped)), $INVALID, 'one character changed: 401 invalid_token';
my $last = $value;
substr($last, -1, 1) = substr($value, -1, 1) eq 'A' ? 'B' : 'A';
is_deeply refused_token(check_token('/api/token1/token', $last)), $INVALID, 'the last character changed: invalid_token';
is_deeply refused_token(check_token('/api/token1/token', substr($value, 0, -4))), $INVALID, 'truncated: invalid_token';
is_deeply refused_token(check_token('/api/token1/token', $value . 'AAAA')), $INVALID, 'extended: invalid_token';
is_deeply refused_token(check_token('/api/token1/token', 'not-a-token')), $INVALID, 'garbage: invalid_token';

# ---- another location, another virtual host -------------------------------------------------------
is_deeply refused_token(check_token('/api/token2/token', $value)), $INVALID, 'at another location: invalid_token';
Apache::TestRequest::module('otp_vhost_api');
my $vhost = 'http://' . Apache::TestRequest::hostport();
Apache::TestRequest::module('default');
is_deeply refused_token(check_token("$vhost/api/token1/token", $value)), $INVALID,
    'at the same path of another virtual host: invalid_token';
($res, $body) = api_call("$vhost/api/token1", {userName => 'wim', otp => totp('wim', 1), tokenType => 'session'});
my $vhost_token = $body && $body->{token} ? $body->{token}{value} : 'none';
is $res->code, 200, "the virtual host's own token";
is((check_token("$vhost/api/token1/token", $vhost_token))[0]->code, 200, '... is valid there');
is_deeply refused_token(check_token('/api/token1/token', $vhost_token)), $INVALID, "... and not at the main server's /api/token1";

# ---- a token is no session cookie, a session cookie is no token ----------------------------------
my $ua = new_client();
$ua->get(url_of('/other/'));
my ($login) = start_json($ua, '/other/.otp/start', {user => 'tess', otp => totp('tess')});
my ($cookie) = $ua->cookie_jar->as_string =~ /otp_session=([^;]+)/;
ok $login->code == 200 && $cookie, 'tess logs in at /other (a session cookie)';
is_deeply refused_token(check_token('/api/token1/token', $cookie // 'none')), $INVALID, 'the session cookie as a token: invalid_token';
my $res_page = new_client()->get(url_of('/other/index.html'), Cookie => "otp_session=$value");
is $res_page->code, 401, 'the token as a session cookie opens nothing (401)';

# ---- no token for a refused code ---------------------------------------------------------------------
($res, $body) = api_call('/api/token1', {userName => 'ulla', otp => wrong_totp('ulla'), tokenType => 'session'});
is_deeply [$res->code, exists $body->{token} ? 'token' : 'no token'], [401, 'no token'], 'a wrong code: 401, no token';

# ---- expiry: OTPSessionLifetime 3 -----------------------------------------------------------------------
($res, $body) = api_call('/api/tokenshort', {userName => 'uma', otp => totp('uma'), tokenType => 'session'});
my $short = $body && $body->{token} ? $body->{token} : {};
is_deeply [$res->code, $short->{expiresIn}], [200, 3], 'OTPSessionLifetime 3: expiresIn 3';
($res, $body) = check_token('/api/tokenshort/token', $short->{value} // 'none');
ok $res->code == 200 && $body->{expiresIn} >= 1 && $body->{expiresIn} <= 3, 'valid at once (expiresIn ' . ($body->{expiresIn} // '?') . ')';
sleep 4;
is_deeply refused_token(check_token('/api/tokenshort/token', $short->{value} // 'none')), $INVALID,
    'after its lifetime: invalid_token';

# ---- a lockout of its user revokes it (OTPLockout 3 at /api/token1) ----------------------------------
($res, $body) = api_call('/api/token1', {userName => 'otis', otp => totp('otis'), tokenType => 'session'});
my $otis = $body && $body->{token} ? $body->{token}{value} : 'none';
is((check_token('/api/token1/token', $otis))[0]->code, 200, "otis's token is valid");
api_call('/api/token1', {userName => 'otis', otp => wrong_totp('otis')}) for 1 .. 3;
is_deeply refused_token(check_token('/api/token1/token', $otis)), $INVALID, 'once otis is locked out: invalid_token';
