# The page in the visitor's language (cookie, Accept-Language, switch, consent), a site's own
# template and translations, and the events of a whole login.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp new_client start_json url_of events_since wait_for_fresh_step);

plan tests => 27;

my $ua = new_client();
my $sv = $ua->get(url_of('/app/'), 'Accept-Language' => 'sv-SE,sv;q=0.9,en;q=0.5');
like $sv->content, qr/<html[^>]*lang="sv"/, 'Accept-Language sv: Swedish page';
like $sv->content, qr/Engångslösenord/, 'the SPEC Swedish text';
like $sv->content, qr/Verifiera engångslösenord/, 'the Swedish submit text';
is $sv->header('Content-Language'), 'sv', 'Content-Language: sv';
my $en = $ua->get(url_of('/app/'), 'Accept-Language' => 'fr,en;q=0.1');
like $en->content, qr/<html[^>]*lang="en"/, 'unknown language: English';
my $cookie = $ua->get(url_of('/app/'), Cookie => 'otp_lang=sv', 'Accept-Language' => 'en');
like $cookie->content, qr/lang="sv"/, 'the language cookie wins over Accept-Language';

my $switch = $ua->get(url_of('/app/?otp_lang=sv'));
like $switch->content, qr/lang="sv"/, 'the language switch';
unlike join(' ', $switch->header('Set-Cookie')), qr/otp_lang=/, 'no language cookie without consent';
like $switch->content, qr/Godkänn språk-cookie/, 'the consent banner is offered';
my $consent = $ua->get(url_of('/app/?otp_lang=sv&otp_lang_consent=1'));
like join(' ', $consent->header('Set-Cookie')), qr/otp_lang=sv/, 'consent: the language cookie is set';
like $consent->header('Content-Security-Policy') // '', qr/default-src 'none'/, 'a strict CSP';
like $consent->header('X-Frame-Options') // '', qr/DENY/, 'never framed';

my $branded = new_client()->get(url_of('/branded/'), 'Accept-Language' => 'de');
is $branded->code, 401, 'custom page: 401';
like $branded->content, qr/<title>ACME sign-in<\/title>/, 'OTPPageTemplate used';
like $branded->content, qr/ACME — Einmalpasswort/, 'OTPTranslations adds German';
like $branded->content, qr/autocomplete="one-time-code"/, 'the form fragment is in it';

# ---- events of a whole login ------------------------------------------------------------------
my (undef, $offset) = events_since(0);
wait_for_fresh_step();
my $flow = new_client();
my $page = $flow->get(url_of('/app/'), 'X-Forwarded-For' => '198.51.100.9');
start_json($flow, '/app/.otp/start', {user => 'ella', otp => '000000'});
my ($res) = start_json($flow, '/app/.otp/start', {user => 'ella', otp => totp('ella', 0)});
is $res->code, 200, 'ella logs in on the second try';
$flow->get(url_of('/app/.otp/logout'));
my ($events) = events_since($offset);
my @ids = map { $_->{event_id} } @$events;
is_deeply \@ids, [qw(WEB_100021 WEB_100020 WEB_100019 WEB_100026 WEB_100027)],
    'attempt started, failed, validated, session started, session ended';
my ($started, $failed, $validated, $session, $ended) = @$events;
is $started->{event}, 'OTP login attempt started', 'attempt started';
is $started->{SOURCE_ADDRESS}, '198.51.100.9', '... from the forwarded address';
is_deeply [sort keys %$failed],
    [sort qw(time event_id event IDENTIFIER SOURCE_ADDRESS reason attempts_left request_id location pipe)],
    'WEB_100020 of the login flow has attempts_left';
is $failed->{attempts_left}, 1, 'attempts_left 1';
is $failed->{location}, '/app', 'location';
is $validated->{IDENTIFIER}, 'ella', 'validated ella';
is $session->{event}, 'OTP session started', 'session started';
is $ended->{reason}, 'logout', 'session ended by logout';
is $ended->{IDENTIFIER}, 'ella', '... for ella';
