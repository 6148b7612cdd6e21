# A failing state store (README "Two-way OTP API": 5030, 503, store_error / store_full: the
# state store failed, nothing was decided, fail closed):
#  - a memcache store with nothing listening: init, the portal step and complete are 503
#    {"status":5030,"error":"store_error"}, with WEB_100030 events; no code is handed out;
#  - the smallest shmcb table (8,320 bytes), filled with inits: 503 {"status":5030,
#    "error":"store_full"}, no flow id or code in that answer; the flows made before it still
#    work at the portal... or are refused 503 too, never anything else.
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use JSON::PP ();
use OTPTest qw(free_port new_client);
use TwoWayTest qw(summary);

plan tests => 17;

my $one_child = <<'END';
# One child process: every request meets the same mod_socache_memcache connection state.
<IfModule mpm_event_module>
    StartServers 1
    ServerLimit 1
    ThreadsPerChild 16
    MinSpareThreads 1
    MaxSpareThreads 16
    MaxRequestWorkers 16
</IfModule>
<IfModule mpm_prefork_module>
    StartServers 1
    MinSpareServers 1
    MaxSpareServers 1
    ServerLimit 1
    MaxRequestWorkers 1
</IfModule>
END
sub server {
    my ($store, @modules) = @_;
    my $tw = TwoWayTest->new(users => ['dora']);
    return $tw->start(modules => \@modules, ready => '/portal', global => ["OTPStateStore $store", $one_child],
                      conf => [$tw->twoway_location('/twoway', 'OTPTwoWayInitRate 100000'), $tw->portal_location('/portal')]);
}

# ---- memcached is not there -------------------------------------------------------------------
# One httpd child (see the conf), so every request meets the mod_socache_memcache that marked
# the server dead after the first failure.
my $ua = new_client();
sub on_ua {
    my ($url, $body, %headers) = @_;
    require HTTP::Request;
    my $req = HTTP::Request->new(POST => $url);
    $req->header('Content-Type' => 'application/json', Accept => 'application/json', %headers);
    $req->content(defined $body ? JSON::PP::encode_json($body) : '');
    my $res = $ua->request($req);
    return ($res, eval { JSON::PP::decode_json($res->content) } // {});
}
my $nobody = free_port();
my $tw = server("memcache:127.0.0.1:$nobody", 'socache_memcache');
my $base = $tw->base;
my ($res, $b) = on_ua("$base/twoway/init", undef);
is_deeply summary($res, $b), [503, 5030, 'store_error'], 'store down: init 503 5030 store_error';
ok !defined $b->{data} && !defined $b->{flow}, '... no client code, no flow';
($res, $b) = on_ua("$base/portal", {data => '123456'}, Authorization => $tw->basic('dora'));
is_deeply summary($res, $b), [503, 5030, 'store_error'], '... the portal step: 503 5030 store_error';
($res, $b) = on_ua("$base/twoway/complete", {flow => 'AAAAAAAAAAAAAAAAAAAAAA', data => '123456'});
is_deeply summary($res, $b), [503, 5030, 'store_error'], '... complete: 503 5030 store_error (not 410 "expired": nothing was decided)';
my @events = $tw->events;
ok +(grep { $_->{event_id} eq 'WEB_100030' } @events) >= 2, 'WEB_100030 "OTP state store error" for them';
is scalar(grep { $_->{event_id} eq 'WEB_100033' } @events), 0, '... no WEB_100033 (no flow started)';
my @refused = grep { $_->{event_id} eq 'WEB_100020' } @events;
is_deeply [map { $_->{reason} } @refused], ['store_error', 'store_error'], '... the refused portal step and complete: WEB_100020 reason store_error';
unlike $tw->error_log, qr/exit signal|internal error|Segmentation/, '... no crash, no internal error';
ok $tw->stop, 'the server stops';

# ---- a full table ---------------------------------------------------------------------------------
$tw = server('shmcb:8320');
my (@made, $full);
for (1 .. 400) {
    ($res, $b) = $tw->init;
    if ($res->code == 200) { push @made, $b; next }
    $full = [$res, $b];
    last;
}
ok @made >= 1, 'the 8,320-byte table: ' . scalar(@made) . ' inits fit';
ok $full, '... then one is refused';
is_deeply $full ? summary(@$full) : [], [503, 5030, 'store_full'], '... 503 5030 store_full';
ok $full && !defined $full->[1]{data} && !defined $full->[1]{flow}, '... no client code, no flow';
($res, $b) = $tw->enter('dora', $made[0]{data} // '');
ok +($res->code == 200 && $b->{status} == 2000) || ($res->code == 503 && $b->{status} == 5030),
    'an earlier flow at the portal: 2000, or 503 5030 (' . $res->code . ')';
my @logged = $tw->events;
ok +(grep { $_->{event_id} eq 'WEB_100030' } @logged) >= 1, 'WEB_100030 for the full table';
unlike $tw->error_log, qr/exit signal|internal error|Segmentation/, '... no crash, no internal error';
ok $tw->stop, 'the server stops';
