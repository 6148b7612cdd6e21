# Parallel requests never get more guesses than the limits, and one valid code gives exactly
# one login however many requests carry it. Counted from the server side (the event log).
use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use FindBin;
use lib "$FindBin::Bin/../lib";
use OTPTest qw(totp new_client start_json url_of parallel_statuses events_since
               wait_for_fresh_step);

plan tests => 8;

my (undef, $offset) = events_since(0);

# 50 wrong guesses at once in one attempt (OTPAllowedRetry 2).
my $ua = new_client();
$ua->get(url_of('/app/'));
my ($attempt) = $ua->cookie_jar->as_string =~ /otp_session_attempt=([^;]+)/;
ok $attempt, 'an attempt';
my @statuses = parallel_statuses(50, sub {
    my ($i) = @_;
    my ($res) = start_json(new_client(), '/app/.otp/start', {user => 'ghost-one', otp => sprintf('%06d', $i)},
                           headers => {Cookie => "otp_session_attempt=$attempt"});
    return $res;
});
my $events;
($events, $offset) = events_since($offset);
my @compared = grep { ($_->{IDENTIFIER} // q()) eq 'ghost-one' && ($_->{event_id} // q()) eq 'WEB_100020'
                      && ($_->{reason} // q()) eq 'unknown_user' } @$events;
is scalar(@compared), 2, '50 parallel guesses in one attempt: exactly 2 were compared';
is scalar(grep { $_ == 401 } @statuses), 2, '... 2 answered 401';
is scalar(grep { $_ == 429 } @statuses), 48, '... 48 answered 429';

# 50 wrong guesses at once, each in its own attempt, for one user (OTPLockout 3 600 900: the
# ban outlasts the burst, however slow the machine).
@statuses = parallel_statuses(50, sub {
    my ($i) = @_;
    my ($res) = start_json(new_client(), '/longban/.otp/start', {user => 'ghost-two', otp => sprintf('%06d', $i)});
    return $res;
});
($events, $offset) = events_since($offset);
@compared = grep { ($_->{IDENTIFIER} // q()) eq 'ghost-two' && ($_->{event_id} // q()) eq 'WEB_100020'
                   && ($_->{reason} // q()) eq 'unknown_user' } @$events;
is scalar(@compared), 3, '50 parallel attempts for one user: exactly 3 (the lockout) compared';
is scalar(grep { $_ == 429 } @statuses), 47, '... the other 47 refused as locked';

# 20 parallel starts with one valid code: exactly one login.
wait_for_fresh_step();
my $code = totp('rosa', 0);
@statuses = parallel_statuses(20, sub {
    my ($res) = start_json(new_client(), '/app/.otp/start', {user => 'rosa', otp => $code});
    return $res;
});
is scalar(grep { $_ == 200 } @statuses), 1, '20 parallel starts with one code: one COMPLETED';
($events, $offset) = events_since($offset);
is scalar(grep { ($_->{IDENTIFIER} // q()) eq 'rosa' && ($_->{event_id} // q()) eq 'WEB_100019' } @$events), 1,
    '... and one WEB_100019';
