// The verifier every way in shares: admission before comparison for ways in without an
// attempt (Basic), the user lockout and the address lockout, atomic admission under parallel
// guesses and against the lock/reset interleaving, the pipes, and replay records that do not
// depend on the accepting location's window.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cmocka_wrap.h"
#include "otp/hotp.h"
#include "util/codec.h"
#include "verify/verifier.h"

using namespace otp;

namespace {

const std::string kAliceHex = "3132333435363738393031323334353637383930";  // TOTP
const std::string kCarolHex = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4";  // HOTP
constexpr std::int64_t kNow = 1700000000;

std::string scratch_dir() {
    const char* dir = std::getenv("OTP_TEST_TMPDIR");
    std::string path = dir ? dir : "/tmp";
    mkdir(path.c_str(), 0755);
    return path;
}

std::string alice_code(std::int64_t at) {
    return totp_code(HashAlgorithm::sha1, *hex_decode(kAliceHex), at, 30, 6);
}

struct Fixture {
    std::string path;
    std::unique_ptr<UsersIndex> index;
    MemoryStateStore store;
    OtpPolicy policy;
    LimitPolicy limits;

    Fixture() {
        path = scratch_dir() + "/verifier-" + std::to_string(getpid()) + ".oath";
        std::ofstream(path) << "HOTP/T30 alice - " << kAliceHex << "\nHOTP carol - " << kCarolHex
                            << "\n";
        std::string error;
        index = UsersIndex::load(path, UsersFileLayout::oath, &error);
        if (!index) fail_msg("load: %s", error.c_str());
        store.set_now(kNow);
        limits.lockout_failures = 3;
        limits.lockout_window = 60;
        limits.lockout_ban = 30;
    }
    ~Fixture() { std::remove(path.c_str()); }

    Verification basic(StateStore& s, const std::string& user, const std::string& password,
                       std::int64_t now = kNow, const std::string& address = "",
                       const Pipe& pipe = token_type_pipe()) {
        Verifier verifier(s, limits, path);
        Guess guess;
        guess.user = user;
        guess.password = password;
        guess.pin_use = PinUse::in_password;
        guess.address = address;
        guess.now = now;
        return verifier.verify(UsersSource{*index, path}, pipe, policy, guess);
    }
    Verification basic(const std::string& user, const std::string& password,
                       std::int64_t now = kNow, const std::string& address = "") {
        return basic(store, user, password, now, address);
    }
};

// Basic has no attempt: the user lockout alone limits it, and a locked user is refused
// without the code being compared, whatever it is, until the ban ends.
static void basic_guesses_lock_the_user(void**) {
    Fixture f;
    for (int i = 0; i < 2; ++i) {
        Verification v = f.basic("alice", "000000");
        assert_int_equal(static_cast<int>(v.verdict), static_cast<int>(Verdict::invalid_otp));
        assert_true(v.compared);
        assert_false(v.user_locked);
        assert_int_equal(v.attempts_left, -1);
    }
    Verification third = f.basic("alice", "000001");
    assert_true(third.user_locked);
    assert_int_equal(third.ban_seconds, 30);

    Verification right = f.basic("alice", alice_code(kNow));
    assert_int_equal(static_cast<int>(right.verdict), static_cast<int>(Verdict::locked));
    assert_false(right.compared);
    assert_true(right.retry_after > 0 && right.retry_after <= 30);
    assert_string_equal(verdict_reason(right.verdict), "locked");

    f.store.set_now(kNow + 31);
    Verification after = f.basic("alice", alice_code(kNow + 31), kNow + 31);
    assert_int_equal(static_cast<int>(after.verdict), static_cast<int>(Verdict::accepted));
    assert_true(after.user_unlocked);
}

// Unknown names are counted and locked like real ones.
static void unknown_users_are_locked_too(void**) {
    Fixture f;
    for (int i = 0; i < 3; ++i)
        assert_int_equal(static_cast<int>(f.basic("ghost", "123456").verdict),
                         static_cast<int>(Verdict::unknown_user));
    assert_int_equal(static_cast<int>(f.basic("ghost", "123456").verdict),
                     static_cast<int>(Verdict::locked));
}

// 200 parallel wrong guesses for one user: no more comparisons than the lockout allows.
static void parallel_basic_guesses_never_exceed_the_lockout(void**) {
    Fixture f;
    std::atomic<int> compared{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 200; ++i)
        threads.emplace_back([&f, &compared, i] {
            char code[8];
            std::snprintf(code, sizeof code, "%06d", i);
            if (f.basic("alice", code).compared) ++compared;
        });
    for (auto& t : threads) t.join();
    assert_int_equal(compared.load(), 3);
}

// A store that lets another request's lockout happen just before admission counts: the
// interleaving that gave extra guesses when the count was a plain increment after a separate
// "is the user locked?" read (the lockout clears the counter, so a late increment started
// again at 1). Admission is one atomic step now (count_guess): it must see the lock.
class InterleavingStore final : public StateStore {
public:
    explicit InterleavingStore(MemoryStateStore& inner) : inner_(inner) {}
    StoreStatus get(std::string_view key, std::string* value) override {
        return inner_.get(key, value);
    }
    GuessCountAnswer count_guess(const GuessCountRequest& request) override {
        const std::string_view kind = ".lock";
        const std::string_view key = request.lock;
        if (!interleaved_ && key.size() > kind.size() &&
            key.substr(key.size() - kind.size()) == kind) {
            interleaved_ = true;
            // The other request: locks the user and clears the counter.
            const std::string user_id(key.substr(0, key.size() - kind.size()));
            inner_.add(otp::record_key(user_id, "lock"), std::to_string(kNow + 30), 30);
            inner_.remove(otp::record_key(user_id, "guesses"));
        }
        return inner_.count_guess(request);
    }
    StoreStatus add(std::string_view k, std::string_view v, std::int64_t ttl) override {
        return inner_.add(k, v, ttl);
    }
    std::optional<std::int64_t> increment(std::string_view k, std::int64_t ttl) override {
        return inner_.increment(k, ttl);
    }
    std::optional<std::int64_t> decrement(std::string_view k) override {
        return inner_.decrement(k);
    }
    GuardedCount increment_unless(std::string_view k, std::int64_t ttl,
                                  std::string_view blocker) override {
        return inner_.increment_unless(k, ttl, blocker);
    }
    std::optional<bool> advance(std::string_view k, std::uint64_t v, std::int64_t ttl) override {
        return inner_.advance(k, v, ttl);
    }
    StoreStatus compare_and_set(std::string_view k, std::string_view e, std::string_view d,
                                std::int64_t ttl) override {
        return inner_.compare_and_set(k, e, d, ttl);
    }
    StoreStatus put(std::string_view k, std::string_view v, std::int64_t ttl) override {
        return inner_.put(k, v, ttl);
    }
    StoreStatus remove(std::string_view k) override { return inner_.remove(k); }

private:
    MemoryStateStore& inner_;
    bool interleaved_ = false;
};

static void a_lock_between_read_and_count_is_seen(void**) {
    Fixture f;
    InterleavingStore racing(f.store);
    Verification v = f.basic(racing, "alice", alice_code(kNow));
    assert_int_equal(static_cast<int>(v.verdict), static_cast<int>(Verdict::locked));
    assert_false(v.compared);
}

// Failures from one address lock the address, whatever the user names; another address
// and the locked address's own expiry are unaffected.
static void address_lockout(void**) {
    Fixture f;
    f.limits.lockout = false;
    f.limits.address_failures = 4;
    f.limits.address_window = 60;
    f.limits.address_ban = 20;
    for (int i = 0; i < 4; ++i) {
        Verification v = f.basic("user" + std::to_string(i), "123456", kNow, "192.0.2.7");
        assert_true(v.compared);
        assert_int_equal(v.address_locked_now, i == 3);
    }
    Verification locked = f.basic("alice", alice_code(kNow), kNow, "192.0.2.7");
    assert_int_equal(static_cast<int>(locked.verdict), static_cast<int>(Verdict::address_locked));
    assert_false(locked.compared);
    assert_true(locked.retry_after > 0 && locked.retry_after <= 20);
    assert_int_equal(
        static_cast<int>(f.basic("alice", alice_code(kNow), kNow, "192.0.2.8").verdict),
        static_cast<int>(Verdict::accepted));
    f.store.set_now(kNow + 21);
    assert_int_equal(
        static_cast<int>(f.basic("alice", alice_code(kNow + 60), kNow + 60, "192.0.2.7").verdict),
        static_cast<int>(Verdict::accepted));
}

// Logins that succeed give their guess back: a script host logging in all day from one
// address is never locked by its own successes, but its failures still count.
static void address_lockout_counts_failures_not_logins(void**) {
    Fixture f;
    f.limits.lockout = false;
    f.limits.address_failures = 2;
    f.limits.address_window = 600;
    f.limits.address_ban = 20;
    for (int i = 0; i < 5; ++i) {  // five logins, each with a newer step
        const std::int64_t at = kNow + 30 * i;
        f.store.set_now(at);
        assert_int_equal(
            static_cast<int>(f.basic("alice", alice_code(at), at, "192.0.2.9").verdict),
            static_cast<int>(Verdict::accepted));
    }
    const std::int64_t later = kNow + 150;
    assert_false(f.basic("ghost", "123456", later, "192.0.2.9").address_locked_now);
    assert_true(f.basic("ghost", "123456", later, "192.0.2.9").address_locked_now);
}

// A Basic client resends its last password after the linger ends: each resend is a refused
// replay, but none counts toward the lockout, so the user can still log in with a new code.
static void replays_do_not_lock_the_user(void**) {
    Fixture f;
    const std::string code = alice_code(kNow);
    assert_int_equal(static_cast<int>(f.basic("alice", code).verdict),
                     static_cast<int>(Verdict::accepted));
    for (int i = 0; i < 10; ++i) {
        Verification v = f.basic("alice", code);
        assert_int_equal(static_cast<int>(v.verdict), static_cast<int>(Verdict::replay));
        assert_false(v.user_locked);
    }
    const std::int64_t next = kNow + 30;
    f.store.set_now(next);
    assert_int_equal(static_cast<int>(f.basic("alice", alice_code(next), next).verdict),
                     static_cast<int>(Verdict::accepted));
    // Wrong codes still count: three lock (OTPLockout 3 in the fixture).
    for (int i = 0; i < 2; ++i) assert_false(f.basic("alice", "000000", next).user_locked);
    assert_true(f.basic("alice", "000001", next).user_locked);
}

// The pipe decides which tokens may answer: totp never takes an HOTP code and vice versa.
static void pipes_select_tokens(void**) {
    Fixture f;
    const std::string carol = hotp_code(HashAlgorithm::sha1, *hex_decode(kCarolHex), 0, 6);
    Verification by_totp = f.basic(f.store, "carol", carol, kNow, "", *builtin_pipe("totp"));
    assert_int_equal(static_cast<int>(by_totp.verdict), static_cast<int>(Verdict::invalid_otp));
    assert_string_equal(by_totp.pipe, "totp");
    Verification alice_by_hotp =
        f.basic(f.store, "alice", alice_code(kNow), kNow, "", *builtin_pipe("hotp"));
    assert_int_equal(static_cast<int>(alice_by_hotp.verdict),
                     static_cast<int>(Verdict::invalid_otp));
    Verification by_hotp = f.basic(f.store, "carol", carol, kNow, "", *builtin_pipe("hotp"));
    assert_int_equal(static_cast<int>(by_hotp.verdict), static_cast<int>(Verdict::accepted));
    assert_string_equal(by_hotp.pipe, "hotp");
    assert_null(builtin_pipe("sms"));
}

// A code accepted where the window is 0 is still a replay where the window is 10, minutes
// later (the replay record covers the largest window, not the accepting location's).
static void replay_record_outlives_any_window(void**) {
    Fixture f;
    f.policy.totp_window = 0;
    const std::string code = alice_code(kNow);
    assert_int_equal(static_cast<int>(f.basic("alice", code).verdict),
                     static_cast<int>(Verdict::accepted));
    f.policy.totp_window = 10;
    const std::int64_t later = kNow + 5 * 30;
    f.store.set_now(later);
    assert_int_equal(static_cast<int>(f.basic("alice", code, later).verdict),
                     static_cast<int>(Verdict::replay));
}

// A store that fails: nothing is compared and nothing granted.
class BrokenStore final : public KeyValueStateStore {
protected:
    bool lock() override { return false; }
    void unlock() override {}
    StoreStatus load(const std::string&, Record*) override { return StoreStatus::error; }
    StoreStatus save(const std::string&, const Record&) override { return StoreStatus::error; }
    StoreStatus erase(const std::string&) override { return StoreStatus::error; }
    std::int64_t now() const override { return kNow; }
};

static void broken_store_fails_closed(void**) {
    Fixture f;
    BrokenStore broken;
    Verification v = f.basic(broken, "alice", alice_code(kNow));
    assert_int_equal(static_cast<int>(v.verdict), static_cast<int>(Verdict::store_error));
    assert_false(v.compared);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(basic_guesses_lock_the_user),
        cmocka_unit_test(unknown_users_are_locked_too),
        cmocka_unit_test(parallel_basic_guesses_never_exceed_the_lockout),
        cmocka_unit_test(a_lock_between_read_and_count_is_seen),
        cmocka_unit_test(address_lockout),
        cmocka_unit_test(replays_do_not_lock_the_user),
        cmocka_unit_test(address_lockout_counts_failures_not_logins),
        cmocka_unit_test(pipes_select_tokens),
        cmocka_unit_test(replay_record_outlives_any_window),
        cmocka_unit_test(broken_store_fails_closed),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
