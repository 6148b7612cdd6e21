// Delivered codes: generation (length, alphabet, every character reachable), the stored record
// (a keyed hash, never the code), checks (wrong, other user, replaced, expired by time, used
// up), case-insensitive alphanumeric codes, and uses taken atomically by parallel checks. Also
// the send limits of LoginLimits::admit_send.
#include <atomic>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <sys/mman.h>

#include "cmocka_wrap.h"
#include "crypto/digest.h"
#include "login/login_limits.h"
#include "store/shared_table_store.h"
#include "verify/delivered_code.h"

using namespace otp;

namespace {

constexpr std::int64_t kNow = 1700000000;
const HmacSha256Key& test_key() {
    static const HmacSha256Key key(std::string(32, '\x42'));
    return key;
}

DeliveredCodePolicy policy(unsigned length, CodeCharset charset, std::int64_t lifetime,
                           unsigned uses) {
    DeliveredCodePolicy p;
    p.length = length;
    p.charset = charset;
    p.lifetime = lifetime;
    p.uses = uses;
    return p;
}

#define assert_check(actual, expected) \
    assert_int_equal(static_cast<int>(actual), static_cast<int>(CodeCheck::expected))

}  // namespace

static void codes_have_the_length_and_alphabet(void**) {
    for (CodeCharset charset : {CodeCharset::numeric, CodeCharset::alphanumeric}) {
        const std::string_view alphabet = code_alphabet(charset);
        std::map<char, int> seen;
        for (int i = 0; i < 2000; ++i) {
            auto code = generate_code(policy(8, charset, 300, 1));
            assert_true(code.has_value());
            assert_int_equal(code->size(), 8);
            for (char c : *code) {
                assert_true(alphabet.find(c) != std::string_view::npos);
                ++seen[c];
            }
        }
        // 16,000 characters: every one of the alphabet turns up, none far too often.
        assert_int_equal(seen.size(), alphabet.size());
        const double expected = 16000.0 / static_cast<double>(alphabet.size());
        for (const auto& [c, n] : seen) {
            assert_true(n > expected * 0.7);
            assert_true(n < expected * 1.3);
        }
    }
    // No look-alikes in alphanumeric codes.
    for (char c : std::string("01OILoil")) assert_true(code_alphabet(CodeCharset::alphanumeric).find(c) == std::string_view::npos);
}

static void the_store_keeps_a_keyed_hash_only(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    DeliveredCodes codes(store, test_key());
    assert_int_equal(static_cast<int>(codes.issue("users", "alice", "482913",
                                                  policy(6, CodeCharset::numeric, 300, 1), kNow,
                                                  1200)),
                     static_cast<int>(StoreStatus::ok));
    std::string value;
    assert_int_equal(static_cast<int>(store.get(DeliveredCodes::record_name("users", "alice"), &value)),
                     static_cast<int>(StoreStatus::ok));
    assert_true(value.find("482913") == std::string::npos);
    assert_true(value.find("alice") == std::string::npos);
    assert_true(DeliveredCodes::record_name("users", "alice").find("alice") == std::string::npos);
}

static void checks(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    DeliveredCodes codes(store, test_key());
    const auto p = policy(6, CodeCharset::numeric, 300, 1);
    codes.issue("users", "alice", "482913", p, kNow, 1200);
    assert_check(codes.check("users", "alice", "482914", p, kNow), invalid);
    assert_check(codes.check("users", "bob", "482913", p, kNow), invalid);
    assert_check(codes.check("other-users-file", "alice", "482913", p, kNow), invalid);
    // Compare only (an unknown user's path): no use is taken.
    assert_check(codes.check("users", "alice", "482913", p, kNow, false), accepted);
    assert_check(codes.check("users", "alice", "482913", p, kNow + 10), accepted);
    // Used up: the right code again is "expired", a wrong one still "invalid".
    assert_check(codes.check("users", "alice", "482913", p, kNow + 11), expired);
    assert_check(codes.check("users", "alice", "000000", p, kNow + 11), invalid);

    // Expired by time, and told so while the record lasts.
    codes.issue("users", "bob", "111222", p, kNow, 1200);
    assert_check(codes.check("users", "bob", "111222", p, kNow + 300), expired);

    // A new code replaces the previous one.
    codes.issue("users", "carl", "123123", p, kNow, 1200);
    codes.issue("users", "carl", "456456", p, kNow + 1, 1200);
    assert_check(codes.check("users", "carl", "123123", p, kNow + 2), invalid);
    assert_check(codes.check("users", "carl", "456456", p, kNow + 2), accepted);

    // Checked where the policy is stricter than where the code was issued: the stricter holds.
    const auto generous = policy(6, CodeCharset::numeric, 3600, 5);
    codes.issue("users", "erin", "909090", generous, kNow, 4000);
    assert_check(codes.check("users", "erin", "909090", p, kNow + 301), expired);  // 300 s here
    codes.issue("users", "fred", "808080", generous, kNow, 4000);
    assert_check(codes.check("users", "fred", "808080", p, kNow), accepted);
    assert_check(codes.check("users", "fred", "808080", p, kNow), expired);  // 1 use here
    assert_check(codes.check("users", "fred", "808080", generous, kNow), accepted);

    // A record that is not ours is a store error, never an acceptance.
    store.put(DeliveredCodes::record_name("users", "dora"), "garbage", 100);
    assert_check(codes.check("users", "dora", "123456", p, kNow), store_error);
}

static void alphanumeric_codes_ignore_case(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    DeliveredCodes codes(store, test_key());
    const auto p = policy(8, CodeCharset::alphanumeric, 300, 2);
    codes.issue("users", "alice", "K7P2XQ9M", p, kNow, 1200);
    assert_check(codes.check("users", "alice", "k7p2xq9m", p, kNow), accepted);
    assert_check(codes.check("users", "alice", "K7p2Xq9M", p, kNow), accepted);
    assert_check(codes.check("users", "alice", "K7P2XQ9M", p, kNow), expired);
    assert_string_equal(normalize_typed_code("abc123", CodeCharset::numeric).c_str(), "abc123");
}

// OTPDeliveredUses 3 and 32 parallel checks of the right code: exactly 3 are accepted.
static void uses_are_taken_atomically(void**) {
    MemoryStateStore store;
    DeliveredCodes codes(store, test_key());
    const std::int64_t now = 1700000000;
    store.set_now(now);
    const auto p = policy(6, CodeCharset::numeric, 300, 3);
    codes.issue("users", "alice", "777888", p, now, 1200);
    std::atomic<int> accepted{0}, expired{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 32; ++i)
        threads.emplace_back([&] {
            switch (codes.check("users", "alice", "777888", p, now)) {
                case CodeCheck::accepted: ++accepted; break;
                case CodeCheck::expired: ++expired; break;
                default: ++other; break;
            }
        });
    for (auto& t : threads) t.join();
    assert_int_equal(accepted.load(), 3);
    assert_int_equal(expired.load(), 29);
    assert_int_equal(other.load(), 0);
}

static void send_limits(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    LimitPolicy lp;
    LoginLimits limits(store, lp, "users");
    const LoginAttempt attempt = *limits.create_attempt("", "/app/", kNow);
    auto verdict = [](const SendAdmission& a) { return static_cast<int>(a.verdict); };
    assert_int_equal(verdict(limits.admit_send(&attempt, "alice", "", kNow)),
                     static_cast<int>(SendAdmission::Verdict::send));
    const SendAdmission again = limits.admit_send(&attempt, "alice", "", kNow + 10);
    assert_int_equal(verdict(again), static_cast<int>(SendAdmission::Verdict::too_soon));
    assert_int_equal(again.retry_after, 20);
    // An unknown name is limited the same way (the limits never look at the users file).
    assert_int_equal(verdict(limits.admit_send(&attempt, "nobody-like-this", "", kNow)),
                     static_cast<int>(SendAdmission::Verdict::send));
    // The refused resend did not use up one of the attempt's five sends: three more users fit.
    for (const char* user : {"u1", "u2", "u3"})
        assert_int_equal(verdict(limits.admit_send(&attempt, user, "", kNow)),
                         static_cast<int>(SendAdmission::Verdict::send));
    assert_int_equal(verdict(limits.admit_send(&attempt, "u4", "", kNow)),
                     static_cast<int>(SendAdmission::Verdict::limit_reached));
    // Another attempt: alice still waits for her 30 s, whatever the attempt.
    const LoginAttempt other = *limits.create_attempt("", "/app/", kNow);
    assert_int_equal(verdict(limits.admit_send(&other, "alice", "", kNow + 29)),
                     static_cast<int>(SendAdmission::Verdict::too_soon));
    store.set_now(kNow + 31);
    assert_int_equal(verdict(limits.admit_send(&other, "alice", "", kNow + 31)),
                     static_cast<int>(SendAdmission::Verdict::send));
    // A locked user gets "locked", with the time left.
    store.put(record_key(limits.user_key("locked-one"), "lock"), std::to_string(kNow + 500), 500);
    const SendAdmission locked = limits.admit_send(&other, "locked-one", "", kNow + 31);
    assert_int_equal(verdict(locked), static_cast<int>(SendAdmission::Verdict::locked));
    assert_int_equal(locked.retry_after, 469);
}

// One client address naming ever new users runs out of sends (OTPAddressLockout's numbers).
static void sends_per_address(void**) {
    MemoryStateStore store;
    store.set_now(kNow);
    LimitPolicy lp;
    lp.address_failures = 3;
    lp.address_window = 300;
    LoginLimits limits(store, lp, "users");
    std::vector<int> verdicts;
    for (int i = 0; i < 5; ++i) {
        const LoginAttempt attempt = *limits.create_attempt("", "/app/", kNow);
        verdicts.push_back(static_cast<int>(
            limits.admit_send(&attempt, "user" + std::to_string(i), "203.0.113.9", kNow).verdict));
    }
    const int send = static_cast<int>(SendAdmission::Verdict::send);
    const int limit = static_cast<int>(SendAdmission::Verdict::limit_reached);
    assert_true(verdicts == std::vector<int>({send, send, send, limit, limit}));
    // Another address is not affected; with the address lockout off nothing is counted.
    const LoginAttempt attempt = *limits.create_attempt("", "/app/", kNow);
    assert_int_equal(static_cast<int>(limits.admit_send(&attempt, "user9", "198.51.100.1", kNow).verdict), send);
    lp.address_lockout = false;
    LoginLimits unlimited(store, lp, "users");
    const LoginAttempt other = *unlimited.create_attempt("", "/app/", kNow);
    assert_int_equal(static_cast<int>(unlimited.admit_send(&other, "user10", "203.0.113.9", kNow).verdict), send);
    // A locked client address is sent nothing.
    store.put(record_key(limits.address_key("192.0.2.7"), "addr-lock"), std::to_string(kNow + 60), 60);
    const SendAdmission locked = limits.admit_send(&attempt, "user11", "192.0.2.7", kNow);
    assert_int_equal(static_cast<int>(locked.verdict), static_cast<int>(SendAdmission::Verdict::locked));
    assert_int_equal(locked.retry_after, 60);
}

// One user gets at most kMaxSendsPerUserPerDay codes a day, however patiently asked for.
static void sends_per_user_per_day(void**) {
    MemoryStateStore store;
    LoginLimits limits(store, LimitPolicy(), "users");
    std::int64_t now = kNow;
    int sent = 0;
    for (int i = 0; i < kMaxSendsPerUserPerDay + 3; ++i, now += kResendInterval + 1) {
        store.set_now(now);
        const LoginAttempt attempt = *limits.create_attempt("", "/app/", now);
        const SendAdmission a = limits.admit_send(&attempt, "alice", "", now);
        if (a.verdict == SendAdmission::Verdict::send) ++sent;
        else assert_int_equal(static_cast<int>(a.verdict), static_cast<int>(SendAdmission::Verdict::limit_reached));
    }
    assert_int_equal(sent, kMaxSendsPerUserPerDay);
}

// The default store's values are at most 96 bytes: the largest record (the largest numbers a
// policy allows, far-future times) must fit it, and work there as in memory.
static void records_fit_the_shared_table(void**) {
    const std::size_t bytes = SharedTableGeometry::header_bytes() + 256 * SharedTableGeometry::kSlotBytes;
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(memory != MAP_FAILED);
    std::string error;
    assert_true(SharedTableStore::format(memory, bytes, &error));
    {
        SharedTableStore store(memory, 1000);
        const std::int64_t far = 4102444800;  // 2100-01-01
        store.set_now(far);
        DeliveredCodes codes(store, test_key());
        const auto widest = policy(kMaxDeliveredLength, CodeCharset::alphanumeric, 86400, 100);
        assert_int_equal(static_cast<int>(codes.issue("/etc/apache2/otp/users.oath", "alice",
                                                      "ABCDEFGHJKMNPQRS", widest, far, 86400 + 900)),
                         static_cast<int>(StoreStatus::ok));
        for (int i = 0; i < 100; ++i)
            assert_check(codes.check("/etc/apache2/otp/users.oath", "alice", "abcdefghjkmnpqrs",
                                     widest, far), accepted);
        assert_check(codes.check("/etc/apache2/otp/users.oath", "alice", "ABCDEFGHJKMNPQRS",
                                 widest, far), expired);
    }
    munmap(memory, bytes);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(codes_have_the_length_and_alphabet),
        cmocka_unit_test(the_store_keeps_a_keyed_hash_only),
        cmocka_unit_test(checks),
        cmocka_unit_test(alphanumeric_codes_ignore_case),
        cmocka_unit_test(uses_are_taken_atomically),
        cmocka_unit_test(send_limits),
        cmocka_unit_test(sends_per_address),
        cmocka_unit_test(sends_per_user_per_day),
        cmocka_unit_test(records_fit_the_shared_table),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
