#include "login/login_limits.h"

#include <algorithm>
#include <cstdint>

#include "crypto/digest.h"
#include "util/base64url.h"
#include "util/codec.h"
#include "util/numbers.h"

namespace otp {
namespace {

std::string tries_key(std::string_view id) { return record_key(id, "tries"); }

}  // namespace

LoginLimits::LoginLimits(StateStore& store, const LimitPolicy& policy, std::string scope)
    : store_(store), policy_(policy), scope_(std::move(scope)) {}

std::string LoginLimits::user_key(std::string_view user) const {
    // Hashed: an external store never sees user names, and any name fits a key.
    return hex_encode(sha256(length_prefixed({scope_, user})).substr(0, 16));
}

std::optional<LoginAttempt> LoginLimits::create_attempt(std::string_view bound_user,
                                                        std::string_view return_path,
                                                        std::int64_t now) {
    // Nothing is stored: the caller seals the attempt into its cookie. Only the first guess
    // makes a record (the retry counter), so page loads cost no store space.
    auto random = random_bytes(18);
    if (!random) return std::nullopt;
    return LoginAttempt{base64url_encode(*random), std::string(bound_user),
                        std::string(return_path), now};
}

bool LoginLimits::attempt_current(const LoginAttempt& attempt, std::int64_t now) const {
    // Ids are ours: 24 base64url characters.
    static constexpr const char* kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    if (attempt.id.size() != 24 || attempt.id.find_first_not_of(kAlphabet) != std::string::npos)
        return false;
    return attempt.created <= now + kAttemptClockSkew &&
           now < attempt.created + policy_.attempt_lifetime;
}

std::string LoginLimits::address_key(std::string_view address) const {
    return hex_encode(sha256(length_prefixed({"address", address})).substr(0, 16));
}

namespace {

std::int64_t seconds_until(const std::string& expiry, std::int64_t now, std::int64_t fallback) {
    auto until = parse_decimal<std::int64_t>(expiry);
    return until && *until > now ? *until - now : fallback;
}

}  // namespace

SendAdmission LoginLimits::admit_send(const LoginAttempt* attempt, std::string_view user,
                                      std::string_view address, std::int64_t now) {
    SendAdmission result;
    const std::string user_id = user_key(user);
    if (policy_.lockout) {
        std::string until;
        const StoreStatus lock = store_.get(record_key(user_id, "lock"), &until);
        if (lock == StoreStatus::error) return result;
        if (lock == StoreStatus::ok) {
            result.verdict = SendAdmission::Verdict::locked;
            result.retry_after = seconds_until(until, now, policy_.lockout_ban);
            return result;
        }
    }
    if (policy_.address_lockout && !address.empty()) {
        // A locked client address is sent nothing; every send is counted first and never
        // given back: a client that names many users pays for each.
        const std::string address_id = address_key(address);
        std::string until;
        const StoreStatus lock = store_.get(record_key(address_id, "addr-lock"), &until);
        if (lock == StoreStatus::error) return result;
        if (lock == StoreStatus::ok) {
            result.verdict = SendAdmission::Verdict::locked;
            result.retry_after = seconds_until(until, now, policy_.address_ban);
            return result;
        }
        auto from_address =
            store_.increment(record_key(address_id, "addr-sends"), policy_.address_window);
        if (!from_address) return result;
        if (*from_address > static_cast<std::int64_t>(policy_.address_failures)) {
            result.verdict = SendAdmission::Verdict::limit_reached;
            result.retry_after = policy_.address_window;
            return result;
        }
    }
    // Counted per attempt where there is one; sends_key stays empty otherwise.
    std::string sends_key;
    if (attempt) {
        sends_key = record_key(attempt->id, "sends");
        auto sends = store_.increment(sends_key, attempt_counter_ttl(*attempt, now));
        if (!sends) return result;
        if (*sends > kMaxSendsPerAttempt) {
            result.verdict = SendAdmission::Verdict::limit_reached;
            result.retry_after = kResendInterval;
            return result;
        }
    }
    // A day's budget per user: the 30 s wait alone would still allow thousands of texts.
    auto today = store_.increment(record_key(user_id, "sends-day"), kSendBudgetWindow);
    if (!today) return result;
    if (*today > kMaxSendsPerUserPerDay) {
        if (attempt) store_.decrement(sends_key);
        result.verdict = SendAdmission::Verdict::limit_reached;
        result.retry_after = kSendBudgetWindow;
        return result;
    }
    // The record's value is when it was made, so a refusal can say how long to wait.
    const std::string wait_key = record_key(user_id, "send-wait");
    const StoreStatus spaced = store_.add(wait_key, std::to_string(now), kResendInterval);
    if (spaced == StoreStatus::ok) {
        result.verdict = SendAdmission::Verdict::send;
        return result;
    }
    // Not sent: this request must not use up one of the attempt's or the day's sends.
    if (attempt) store_.decrement(sends_key);
    store_.decrement(record_key(user_id, "sends-day"));
    if (spaced != StoreStatus::exists) return result;
    std::string made;
    const bool read = store_.get(wait_key, &made) == StoreStatus::ok;
    auto since = read ? parse_decimal<std::int64_t>(made) : std::nullopt;
    result.verdict = SendAdmission::Verdict::too_soon;
    result.retry_after =
        since ? std::clamp<std::int64_t>(*since + kResendInterval - now, 1, kResendInterval)
              : kResendInterval;
    return result;
}

Admission LoginLimits::admit(const LoginAttempt* attempt, std::string_view user,
                             std::string_view address, std::int64_t now) {
    Admission result;
    result.now = now;
    const std::string user_id = user_key(user);
    // One atomic step of the store (StateStore::count_guess), in this order:
    //  - a locked user is answered "locked" before anything is counted, and a ban that is over
    //    is reported once (its notice taken);
    //  - the client address (where an address limit applies), blocked by its lock;
    //  - the attempt's retries (kept when a later counter refuses: the attempt was used);
    //  - the user's guesses, blocked by the user's lock.
    // A counter above its limit refuses the guess without comparing it. The guess is given
    // back to the address and the user then, in the same step: it was never compared, and
    // kept it would outlive the guesses in flight (30 parallel replays of one valid code, each
    // given back once compared, would leave the user refused for the window with no lock and
    // no lockout event). The guesses in flight keep their counts, so no interleaving compares
    // more than the limit; a counter that holds a lock in place (take_lock, in_counter) stays
    // at or above the limit, as a give-back in the same step only undoes its own count.
    GuessCountRequest request;
    if (policy_.lockout) {
        request.lock = record_key(user_id, "lock");
        request.notice = record_key(user_id, "locked-notice");
    }
    std::size_t address_index = SIZE_MAX, attempt_index = SIZE_MAX, user_index = SIZE_MAX;
    const bool address_counted = !address.empty() && policy_.address_lockout;
    if (address_counted) {
        const std::string address_id = address_key(address);
        address_index = request.counters.size();
        request.counters.push_back({record_key(address_id, "addr-guesses"), policy_.address_window,
                                    static_cast<std::int64_t>(policy_.address_failures),
                                    record_key(address_id, "addr-lock"), true});
    }
    if (attempt) {
        attempt_index = request.counters.size();
        request.counters.push_back({tries_key(attempt->id), attempt_counter_ttl(*attempt, now),
                                    static_cast<std::int64_t>(policy_.allowed_retry), "", false});
    }
    if (policy_.lockout) {
        user_index = request.counters.size();
        request.counters.push_back({record_key(user_id, "guesses"), policy_.lockout_window,
                                    static_cast<std::int64_t>(policy_.lockout_failures),
                                    record_key(user_id, "lock"), true});
    }

    const GuessCountAnswer answer = store_.count_guess(request);
    result.user_unlocked = answer.notice_removed;
    using Status = GuessCountAnswer::Status;
    if (answer.status == Status::error) return result;
    if (answer.status == Status::locked) {
        result.verdict = GateVerdict::locked;
        result.retry_after = seconds_until(answer.blocker, now, policy_.lockout_ban);
        return result;
    }
    if (attempt_index < answer.counts.size()) result.attempt_tries = answer.counts[attempt_index];
    if (answer.status == Status::counted) {
        if (address_index < answer.counts.size())
            result.address_guesses = answer.counts[address_index];
        if (user_index < answer.counts.size()) result.user_guesses = answer.counts[user_index];
        result.verdict = GateVerdict::proceed;
        return result;
    }
    // Refused at one counter (blocked by its lock, or above its limit).
    const bool blocked = answer.status == Status::blocked;
    if (answer.stopped_at == address_index) {
        result.verdict = GateVerdict::address_locked;
        result.retry_after =
            blocked ? seconds_until(answer.blocker, now, policy_.address_ban) : policy_.address_ban;
    } else if (answer.stopped_at == attempt_index) {
        result.verdict = GateVerdict::retries_exhausted;
    } else {
        result.verdict = GateVerdict::locked;
        result.retry_after =
            blocked ? seconds_until(answer.blocker, now, policy_.lockout_ban) : policy_.lockout_ban;
    }
    return result;
}

FailureOutcome LoginLimits::attempt_outcome(const Admission& admission) const {
    FailureOutcome outcome;
    const auto allowed = static_cast<std::int64_t>(policy_.allowed_retry);
    outcome.attempts_left =
        static_cast<int>(std::max<std::int64_t>(0, allowed - admission.attempt_tries));
    outcome.attempt_aborted = admission.attempt_tries >= allowed;
    return outcome;
}

LoginLimits::LockTaken LoginLimits::take_lock(const std::string& id, const char* lock_kind,
                                              const char* counter_kind, std::int64_t count,
                                              std::int64_t ban, std::int64_t now,
                                              FailureOutcome* outcome) {
    const StoreStatus lock = store_.add(record_key(id, lock_kind), std::to_string(now + ban), ban);
    if (lock == StoreStatus::ok) return LockTaken::taken;
    if (lock == StoreStatus::exists) return LockTaken::already;
    // No room (store_full) or no store for the lock record. The guess counter exists (admit
    // counted this guess in it) and admission refuses any count above the limit: it becomes
    // the lock where it is, for the whole ban, so the lockout holds. What cannot be recorded
    // besides is reported through store_ok.
    outcome->store_ok = false;
    outcome->store_failure = lock;
    return store_.put(record_key(id, counter_kind), std::to_string(count), ban) == StoreStatus::ok
               ? LockTaken::in_counter
               : LockTaken::failed;
}

FailureOutcome LoginLimits::record_failure(std::string_view user, std::string_view address,
                                           const Admission& admission, std::int64_t now) {
    FailureOutcome outcome = attempt_outcome(admission);

    if (admission.address_guesses >= static_cast<std::int64_t>(policy_.address_failures) &&
        policy_.address_lockout && !address.empty()) {
        const std::string address_id = address_key(address);
        const LockTaken lock =
            take_lock(address_id, "addr-lock", "addr-guesses", admission.address_guesses,
                      policy_.address_ban, now, &outcome);
        outcome.address_locked = lock == LockTaken::taken || lock == LockTaken::in_counter;
        if (lock == LockTaken::taken)
            // Guesses counted after this see the lock (increment_unless), so clearing the
            // counter cannot hand out extra guesses; it starts the next window afresh.
            outcome.store_ok &=
                store_.remove(record_key(address_id, "addr-guesses")) != StoreStatus::error;
    }

    if (!policy_.lockout ||
        admission.user_guesses < static_cast<std::int64_t>(policy_.lockout_failures))
        return outcome;

    const std::string user_id = user_key(user);
    const LockTaken lock = take_lock(user_id, "lock", "guesses", admission.user_guesses,
                                     policy_.lockout_ban, now, &outcome);
    if (lock == LockTaken::taken || lock == LockTaken::in_counter) {
        outcome.user_locked = true;
        outcome.ban_seconds = policy_.lockout_ban;
    }
    if (lock == LockTaken::taken) {
        // Start the next window afresh once the ban ends (safe: see above); remember to
        // report the unlock; end the user's sessions (a lockout must not leave a stolen
        // session alive).
        bool ok = store_.remove(record_key(user_id, "guesses")) != StoreStatus::error;
        const StoreStatus notice = store_.add(record_key(user_id, "locked-notice"), "1",
                                              policy_.lockout_ban + policy_.lockout_window + 86400);
        ok &= notice == StoreStatus::ok || notice == StoreStatus::exists;
        ok &= store_.put(record_key(user_id, "revoked"), std::to_string(now),
                         policy_.session_lifetime + policy_.lockout_ban) == StoreStatus::ok;
        outcome.store_ok &= ok;
    }
    return outcome;
}

FailureOutcome LoginLimits::record_replay(std::string_view user, std::string_view address,
                                          const Admission& admission) {
    FailureOutcome outcome = attempt_outcome(admission);
    if (admission.user_guesses > 0)
        outcome.store_ok &= store_.decrement(record_key(user_key(user), "guesses")).has_value();
    if (admission.address_guesses > 0 && !address.empty())
        outcome.store_ok &=
            store_.decrement(record_key(address_key(address), "addr-guesses")).has_value();
    return outcome;
}

bool LoginLimits::record_success(const LoginAttempt* attempt, std::string_view user,
                                 std::string_view address, const Admission& admission,
                                 bool forget_failures) {
    if (forget_failures)
        store_.remove(record_key(user_key(user), "guesses"));
    else if (admission.user_guesses > 0)
        store_.decrement(record_key(user_key(user), "guesses"));
    if (admission.address_guesses > 0 && !address.empty())
        store_.decrement(record_key(address_key(address), "addr-guesses"));
    // The attempt is used up: its cookie, were it presented again, gets retries_exhausted.
    // (Its counter exists: admit made it before the code was compared.)
    if (attempt)
        return store_.put(tries_key(attempt->id), std::to_string(policy_.allowed_retry + 1),
                          attempt_counter_ttl(*attempt, admission.now)) == StoreStatus::ok;
    return true;
}

std::int64_t LoginLimits::attempt_counter_ttl(const LoginAttempt& attempt, std::int64_t now) const {
    // As long as the attempt's cookie can be presented (created + lifetime, plus the clock
    // skew attempt_current allows), so the cookie never outlives its counter.
    const std::int64_t until = attempt.created + policy_.attempt_lifetime + kAttemptClockSkew;
    return until > now ? until - now : 1;
}

std::optional<std::int64_t> LoginLimits::sessions_revoked_at(std::string_view user,
                                                             bool* store_error) {
    *store_error = false;
    std::string value;
    StoreStatus status = store_.get(record_key(user_key(user), "revoked"), &value);
    if (status == StoreStatus::error) *store_error = true;
    if (status != StoreStatus::ok) return std::nullopt;
    return parse_decimal<std::int64_t>(value);
}

}  // namespace otp
