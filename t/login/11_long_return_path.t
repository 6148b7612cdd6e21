# A protected URL with a long query: the login attempt stores it as the return path (up to
# 2 KiB, what the start endpoint accepts) and the login comes back to it; a longer one falls
# back to the location instead of failing the request (it once answered 503 store_error:
# state-store records were capped at 1 KiB).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp new_client start_json url_of wait_for_fresh_step);

plan tests => 16;

wait_for_fresh_step(30, 8);

sub query_of {
    my ($bytes) = @_;
    my $prefix = '/app/reports.txt?q=';
    return $prefix . ('x' x ($bytes - 2));   # "q=" + filler: `bytes` bytes of query
}

my $step = -1;    # three logins: the steps -1, 0 and 1 of the delay window
for my $bytes (1100, 1900) {
    my $path = query_of($bytes);
    my $ua = new_client();
    my $page = $ua->get(url_of($path));
    is $page->code, 401, "$bytes-byte query: the OTP page, not an error"
        or diag $page->code . ' ' . $page->content;
    like $page->header('Content-Type') // '', qr{^text/html}, '... as HTML';
    my $json = new_client()->get(url_of($path), Accept => 'application/json');
    is $json->code, 401, "$bytes-byte query, JSON client: 401 OTP_REQUIRED"
        or diag $json->content;
    my ($res, $body) = start_json($ua, '/app/.otp/start',
                                  {user => 'quinn', otp => totp('quinn', $step++)});
    is $res->code, 200, "$bytes-byte query: login succeeds" or diag $res->content;
    is $body->{redirect} // '', $path, '... back to the full URL with its query';
    is $ua->get(url_of($path))->code, 200, '... where the session opens the content';
}

# Beyond what a return path may be: the page still comes, and the login returns to the
# location's root.
my $too_long = query_of(3000);
my $ua = new_client();
my $page = $ua->get(url_of($too_long));
is $page->code, 401, '3000-byte query: the OTP page, not an error' or diag $page->content;
is new_client()->get(url_of($too_long), Accept => 'application/json')->code, 401,
    '... and OTP_REQUIRED for JSON clients';
my ($res, $body) = start_json($ua, '/app/.otp/start', {user => 'quinn', otp => totp('quinn', $step++)});
is $res->code, 200, '3000-byte query: login succeeds' or diag $res->content;
like $body->{redirect} // '', qr{^/app/?$}, '... and returns to the location';
