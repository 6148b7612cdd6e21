// LoginLimits: retry limit per attempt, lockout per user, counting before comparing, and
// the atomicity of both under parallel guesses.
#include <atomic>
#include <thread>
#include <vector>

#include "cmocka_wrap.h"
#include "login/login_limits.h"

using namespace otp;

namespace {

constexpr std::int64_t kNow = 1700000000;

LimitPolicy policy(unsigned retry, unsigned failures) {
    LimitPolicy p;
    p.allowed_retry = retry;
    p.lockout_failures = failures;
    p.lockout_window = 300;
    p.lockout_ban = 900;
    return p;
}

#define assert_verdict(admission, expected) \
    assert_int_equal(static_cast<int>((admission).verdict), static_cast<int>(GateVerdict::expected))

}  // namespace

static void retry_limit_aborts_the_attempt(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    LoginLimits limits(store, policy(2, 100), "users");
    LoginAttempt attempt = *limits.create_attempt("", "/app/", kNow);

    Admission first = limits.admit(&attempt, "alice", "", kNow);
    assert_verdict(first, proceed);
    FailureOutcome f1 = limits.record_failure("alice", "", first, kNow);
    assert_int_equal(f1.attempts_left, 1);
    assert_false(f1.attempt_aborted);

    Admission second = limits.admit(&attempt, "alice", "", kNow);
    assert_verdict(second, proceed);
    FailureOutcome f2 = limits.record_failure("alice", "", second, kNow);
    assert_int_equal(f2.attempts_left, 0);
    assert_true(f2.attempt_aborted);

    // Even the right code is never compared in an aborted attempt.
    assert_verdict(limits.admit(&attempt, "alice", "", kNow), retries_exhausted);
    // A new attempt starts afresh.
    LoginAttempt next = *limits.create_attempt("", "/app/", kNow);
    assert_verdict(limits.admit(&next, "alice", "", kNow), proceed);
}

// Attempts live in their cookie: creating one stores nothing, and whether one read back from a
// cookie is current depends on its id's shape and its age.
static void attempts_are_current_for_their_lifetime(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    LimitPolicy p = policy(2, 5);
    p.attempt_lifetime = 900;
    LoginLimits limits(store, p, "users");
    LoginAttempt attempt = *limits.create_attempt("bob", "/admin/x?y=1", kNow);
    assert_int_equal(attempt.id.size(), 24);
    assert_string_equal(attempt.bound_user.c_str(), "bob");
    assert_string_equal(attempt.return_path.c_str(), "/admin/x?y=1");
    assert_true(limits.attempt_current(attempt, kNow));
    assert_true(limits.attempt_current(attempt, kNow + 899));
    assert_false(limits.attempt_current(attempt, kNow + 900));
    assert_false(limits.attempt_current(attempt, kNow - kAttemptClockSkew - 1));  // from the future
    LoginAttempt other = attempt;
    other.id = "../../etc";
    assert_false(limits.attempt_current(other, kNow));
    other.id = "";
    assert_false(limits.attempt_current(other, kNow));
    assert_true(limits.create_attempt("bob", "/", kNow)->id != attempt.id);
    // Nothing was stored: page loads cost the store nothing.
    assert_int_equal(static_cast<int>(store.get(otp::record_key(attempt.id, "tries"), nullptr)),
                     static_cast<int>(otp::StoreStatus::not_found));
}

static void lockout_across_attempts_and_unlock(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    LoginLimits limits(store, policy(2, 3), "users");
    bool locked = false;
    for (int i = 0; i < 3; ++i) {
        LoginAttempt attempt = *limits.create_attempt("", "/", kNow);
        Admission a = limits.admit(&attempt, "mallory", "", kNow);
        assert_verdict(a, proceed);
        FailureOutcome f = limits.record_failure("mallory", "", a, kNow);
        locked = f.user_locked;
        if (i < 2) assert_false(locked);
    }
    assert_true(locked);
    LoginAttempt attempt = *limits.create_attempt("", "/", kNow);
    Admission a = limits.admit(&attempt, "mallory", "", kNow + 100);
    assert_verdict(a, locked);
    assert_int_equal(a.retry_after, 800);
    // Other users are not affected.
    assert_verdict(limits.admit(&attempt, "alice", "", kNow + 100), proceed);
    // Sessions issued before the lock are revoked.
    bool error = true;
    auto revoked = limits.sessions_revoked_at("mallory", &error);
    assert_false(error);
    assert_int_equal(*revoked, kNow);

    store.set_now(kNow + 901);
    LoginAttempt later = *limits.create_attempt("", "/", kNow);
    Admission after = limits.admit(&later, "mallory", "", kNow + 901);
    assert_verdict(after, proceed);
    assert_true(after.user_unlocked);
    assert_false(limits.admit(&later, "mallory", "", kNow + 901).user_unlocked);  // reported once
}

static void success_resets_the_user_count(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    LoginLimits limits(store, policy(5, 3), "users");
    LoginAttempt attempt = *limits.create_attempt("", "/", kNow);
    for (int i = 0; i < 2; ++i)
        limits.record_failure("alice", "", limits.admit(&attempt, "alice", "", kNow), kNow);
    Admission last = limits.admit(&attempt, "alice", "", kNow);
    limits.record_success(&attempt, "alice", "", last);
    // The attempt is used up: presented again, its cookie gets no more comparisons.
    assert_verdict(limits.admit(&attempt, "alice", "", kNow), retries_exhausted);
    LoginAttempt next = *limits.create_attempt("", "/", kNow);
    Admission a = limits.admit(&next, "alice", "", kNow);
    assert_int_equal(a.user_guesses, 1);
}

static void lockout_off(void**) {
    MemoryStateStore store;
    LimitPolicy p = policy(1000, 1);
    p.lockout = false;
    LoginLimits limits(store, p, "users");
    LoginAttempt attempt = *limits.create_attempt("", "/", kNow);
    for (int i = 0; i < 10; ++i) {
        Admission a = limits.admit(&attempt, "alice", "", kNow);
        assert_verdict(a, proceed);
        assert_false(limits.record_failure("alice", "", a, kNow).user_locked);
    }
}

// 50 parallel guesses in one attempt: exactly allowed_retry are compared.
static void parallel_guesses_never_exceed_the_limits(void**) {
    MemoryStateStore store;
    LoginLimits limits(store, policy(2, 5), "users");
    LoginAttempt attempt = *limits.create_attempt("", "/", kNow);
    std::atomic<int> admitted{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 50; ++i)
        threads.emplace_back([&] {
            if (limits.admit(&attempt, "alice", "", kNow).verdict == GateVerdict::proceed) ++admitted;
        });
    for (auto& t : threads) t.join();
    assert_int_equal(admitted.load(), 2);

    // Across 50 attempts of one user: the lockout's 5.
    admitted = 0;
    threads.clear();
    for (int i = 0; i < 50; ++i)
        threads.emplace_back([&] {
            LoginAttempt own = *limits.create_attempt("", "/", kNow);
            if (limits.admit(&own, "bob", "", kNow).verdict == GateVerdict::proceed) ++admitted;
        });
    for (auto& t : threads) t.join();
    assert_int_equal(admitted.load(), 5);
}

// Guesses refused for being over the limit were never compared: they are given back, so once
// the guesses in flight turn out to be replays the user can log in (30 parallel replays of one
// valid code must not leave the user refused for the window without a lock).
static void refused_guesses_over_the_limit_are_given_back(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    LimitPolicy p = policy(2, 5);
    p.address_failures = 8;
    LoginLimits limits(store, p, "users");
    std::vector<Admission> in_flight;
    for (int i = 0; i < 5; ++i) {
        in_flight.push_back(limits.admit(nullptr, "alice", "192.0.2.7", kNow));
        assert_verdict(in_flight.back(), proceed);
    }
    for (int i = 0; i < 20; ++i) {
        Admission over = limits.admit(nullptr, "alice", "192.0.2.7", kNow);
        assert_verdict(over, locked);
        assert_int_equal(over.user_guesses, 0);
    }
    // The five were replays: each gives its guess back. Nothing is locked, nothing counted.
    for (const Admission& a : in_flight) limits.record_replay("alice", "192.0.2.7", a);
    std::string value;
    assert_int_equal(static_cast<int>(store.get(record_key(limits.user_key("alice"), "guesses"),
                                                &value)),
                     static_cast<int>(StoreStatus::ok));
    assert_string_equal(value.c_str(), "0");
    // A fresh guess is the first again, and the address budget is whole.
    Admission next = limits.admit(nullptr, "alice", "192.0.2.7", kNow);
    assert_verdict(next, proceed);
    assert_int_equal(next.user_guesses, 1);
    assert_int_equal(next.address_guesses, 1);

    // Over the address limit: refused and given back as well.
    for (int i = 0; i < 7; ++i)
        assert_verdict(limits.admit(nullptr, std::to_string(i), "198.51.100.1", kNow), proceed);
    assert_verdict(limits.admit(nullptr, "x", "198.51.100.1", kNow), proceed);
    assert_verdict(limits.admit(nullptr, "y", "198.51.100.1", kNow), address_locked);
    assert_int_equal(static_cast<int>(store.get(record_key(limits.address_key("198.51.100.1"),
                                                           "addr-guesses"),
                                                &value)),
                     static_cast<int>(StoreStatus::ok));
    assert_string_equal(value.c_str(), "8");
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_limit_aborts_the_attempt),
        cmocka_unit_test(attempts_are_current_for_their_lifetime),
        cmocka_unit_test(lockout_across_attempts_and_unlock),
        cmocka_unit_test(success_resets_the_user_count),
        cmocka_unit_test(lockout_off),
        cmocka_unit_test(parallel_guesses_never_exceed_the_limits),
        cmocka_unit_test(refused_guesses_over_the_limit_are_given_back),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
