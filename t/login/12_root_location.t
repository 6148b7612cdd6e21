# Under <Location />, a request for "//evil.example/" must not give a page whose links (the
# language switch, the consent banner, "start again", the form action, the cancel link) or
# whose OTP_REQUIRED start path are protocol-relative URLs to another host. A server of the
# test's own, with AuthType OTP on the whole space.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(write_standalone_conf standalone_dir free_port start_standalone stop_standalone
               new_client %SECRET);

plan tests => 12;

my $dir = standalone_dir();
my $port = free_port();
open my $u, '>', "$dir/users.oath" or die $!;
print $u "HOTP/T30 alice - $SECRET{alice}\n";
close $u;
mkdir "$dir/htdocs";
write_standalone_conf(dir => $dir, port => $port, body => <<"END");
DocumentRoot "$dir/htdocs"
OTPStateStore shmcb
<Location />
    AuthType OTP
    AuthName "Everything"
    OTPUsersFile "$dir/users.oath"
    Require valid-user
</Location>
END

my $ua = new_client();
my $base = "http://127.0.0.1:$port";
start_standalone($dir, $ua, "$base/");

sub links_of {
    my ($html) = @_;
    return $html =~ /\b(?:href|action|src|formaction)\s*=\s*"([^"]*)"/gi;
}

for my $path ('//evil.example/', '//evil.example/x?otp_lang=sv', '///evil.example/a/b') {
    my $page = $ua->get("$base$path");
    is $page->code, 401, "$path: the OTP page";
    my @links = links_of($page->content);
    ok @links >= 3, "$path: the page has links (" . scalar(@links) . ')';
    my @foreign = grep { m{^\s*[/\\]{2}} || m{^\s*[a-z][a-z0-9+.-]*:}i } @links;
    is_deeply \@foreign, [], "$path: no link can be read as another host"
        or diag join "\n", @links;
}

my $json = $ua->get("$base//evil.example/", Accept => 'application/json');
is $json->code, 401, 'JSON client: 401';
unlike $json->content, qr{"start":"[/\\]{2}}, '... and the start path is not protocol-relative'
    or diag $json->content;

ok stop_standalone($dir), 'the server stops';
