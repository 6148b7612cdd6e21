// validate_code spends the same work whatever the PIN and whether the user exists (issue 8:
// "A wrong PIN skips every HMAC while an unknown user computes dummy codes: timing tells PIN
// right/wrong and user known/unknown"). Measured deterministically, not with a clock: lib/otp/
// hotp.cpp computes every HMAC with libcrypto's one-block primitives (SHA*_Init once per pad
// state, SHA*_Transform once per block), and this test binary defines those functions itself,
// counting each call before it forwards to libcrypto (dlsym(RTLD_NEXT)). The static otpcore
// linked into the test binds to these definitions (and so do libcrypto's own EVP digests, which
// call SHA*_Init but never SHA*_Transform: a refusal computes no such digest, and measure()
// fails on any other call pattern); production code has no hook for it.
//
// From the counts: every key setup (RFC 2104 inner and outer pad) is 2 Init + 2 Transform,
// every candidate code (inner and outer hash of one counter) 2 Transform. So
//   key setups = inits / 2,   candidate HMACs = (transforms - inits) / 2.
//
// Properties:
//  - a wrong PIN with a wrong code, a wrong PIN with the right code, a PIN-only or empty
//    password and the right PIN with a wrong code all cost exactly the same, per algorithm,
//    for TOTP and HOTP tokens and for a user with two tokens, and touch the store alike (not
//    at all);
//  - an unknown user computes as many candidate HMACs as a known user with one SHA-1 TOTP
//    token (2 * OTPWindow + 1), for several windows.
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED 1  // we define the deprecated one-block SHA functions
#endif

#include <dlfcn.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "cmocka_wrap.h"
#include "otp/hotp.h"
#include "store/state_store.h"
#include "users/users_file.h"
#include "util/codec.h"
#include "verify/code_validator.h"

using namespace otp;

// ---- counting interposers of libcrypto's one-block SHA API ------------------------------

namespace {

enum Algo { kSha1, kSha256, kSha512, kAlgos };

struct Calls {
    long inits = 0;
    long transforms = 0;
};
Calls g_calls[kAlgos];

template <class Fn>
Fn* real(const char* name) {
    void* p = dlsym(RTLD_NEXT, name);
    if (!p) {
        std::fprintf(stderr, "dlsym(RTLD_NEXT, %s): %s\n", name, dlerror());
        std::abort();
    }
    return reinterpret_cast<Fn*>(p);
}

}  // namespace

extern "C" {

int SHA1_Init(SHA_CTX* c) {
    static auto* next = real<int(SHA_CTX*)>("SHA1_Init");
    ++g_calls[kSha1].inits;
    return next(c);
}
void SHA1_Transform(SHA_CTX* c, const unsigned char* data) {
    static auto* next = real<void(SHA_CTX*, const unsigned char*)>("SHA1_Transform");
    ++g_calls[kSha1].transforms;
    next(c, data);
}
int SHA256_Init(SHA256_CTX* c) {
    static auto* next = real<int(SHA256_CTX*)>("SHA256_Init");
    ++g_calls[kSha256].inits;
    return next(c);
}
void SHA256_Transform(SHA256_CTX* c, const unsigned char* data) {
    static auto* next = real<void(SHA256_CTX*, const unsigned char*)>("SHA256_Transform");
    ++g_calls[kSha256].transforms;
    next(c, data);
}
int SHA512_Init(SHA512_CTX* c) {
    static auto* next = real<int(SHA512_CTX*)>("SHA512_Init");
    ++g_calls[kSha512].inits;
    return next(c);
}
void SHA512_Transform(SHA512_CTX* c, const unsigned char* data) {
    static auto* next = real<void(SHA512_CTX*, const unsigned char*)>("SHA512_Transform");
    ++g_calls[kSha512].transforms;
    next(c, data);
}

}  // extern "C"

namespace {

// What one call cost, per algorithm.
struct Work {
    long key_setups[kAlgos] = {};
    long hmacs[kAlgos] = {};
    long store_operations = 0;
    bool operator==(const Work& o) const {
        for (int a = 0; a < kAlgos; ++a)
            if (key_setups[a] != o.key_setups[a] || hmacs[a] != o.hmacs[a]) return false;
        return store_operations == o.store_operations;
    }
    long total_hmacs() const { return hmacs[kSha1] + hmacs[kSha256] + hmacs[kSha512]; }
    std::string str() const {
        static const char* kNames[] = {"SHA1", "SHA256", "SHA512"};
        std::string s;
        for (int a = 0; a < kAlgos; ++a)
            s += std::string(kNames[a]) + ": " + std::to_string(key_setups[a]) + " key setups, " +
                 std::to_string(hmacs[a]) + " HMACs; ";
        return s + std::to_string(store_operations) + " store operations";
    }
};

// Counts every store operation (a refusal must not touch the store more for one case).
class CountingStore final : public StateStore {
public:
    CountingStore() { inner_.set_now(1700000000); }
    long operations = 0;
    StoreStatus add(std::string_view k, std::string_view v, std::int64_t ttl) override {
        ++operations;
        return inner_.add(k, v, ttl);
    }
    std::optional<std::int64_t> increment(std::string_view k, std::int64_t ttl) override {
        ++operations;
        return inner_.increment(k, ttl);
    }
    std::optional<std::int64_t> decrement(std::string_view k) override {
        ++operations;
        return inner_.decrement(k);
    }
    GuessCountAnswer count_guess(const GuessCountRequest& request) override {
        ++operations;
        return inner_.count_guess(request);
    }
    GuardedCount increment_unless(std::string_view k, std::int64_t ttl,
                                  std::string_view blocker) override {
        ++operations;
        return inner_.increment_unless(k, ttl, blocker);
    }
    std::optional<bool> advance(std::string_view k, std::uint64_t v, std::int64_t ttl) override {
        ++operations;
        return inner_.advance(k, v, ttl);
    }
    StoreStatus compare_and_set(std::string_view k, std::string_view e, std::string_view d,
                                std::int64_t ttl) override {
        ++operations;
        return inner_.compare_and_set(k, e, d, ttl);
    }
    StoreStatus put(std::string_view k, std::string_view v, std::int64_t ttl) override {
        ++operations;
        return inner_.put(k, v, ttl);
    }
    StoreStatus get(std::string_view k, std::string* v) override {
        ++operations;
        return inner_.get(k, v);
    }
    StoreStatus remove(std::string_view k) override {
        ++operations;
        return inner_.remove(k);
    }

private:
    MemoryStateStore inner_;
};

constexpr std::int64_t kNow = 1700000000;
const std::string kBobHex = "0102030405060708090a0b0c0d0e0f1011121314";  // TOTP, PIN 4321
const std::string kBob2Hex =                                             // T60/8-SHA256, +
    "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4a1a2a3a4a5a6a7a8a9aaabac";
const std::string kCarolHex = "b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4";  // HOTP, PIN 9999
const std::string kDaveHex = "c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4";   // TOTP SHA512, PIN 77
const std::string kAliceHex = "3132333435363738393031323334353637383930";  // TOTP, no PIN

// The users are only ever refused here, so the HOTP path never reaches the users file: the
// path names nothing (an accepted HOTP code would be store_error, never accepted).
const std::string kUsersText = "HOTP/T30 alice - " + kAliceHex + "\n" + "HOTP/T30 bob 4321 " +
                               kBobHex + "\n" + "HOTP/T60/8-SHA256 bob + " + kBob2Hex + "\n" +
                               "HOTP carol 9999 " + kCarolHex + " 5 000000\n" +
                               "HOTP/T30-SHA512 dave 77 " + kDaveHex + "\n";
const std::string kUsersPath = "/nonexistent/test_validation_work/users.oath";

std::unique_ptr<UsersIndex> users_index() {
    std::string error;
    auto index = UsersIndex::parse(kUsersText, "users.oath", UsersFileLayout::oath, &error);
    if (!index) fail_msg("parse: %s", error.c_str());
    return index;
}

std::string key(const std::string& hex) { return *hex_decode(hex); }

struct Measured {
    ValidationOutcome outcome;
    Work work;
};

Measured measure(const UsersIndex& index, const OtpPolicy& policy, const std::string& user,
                 const std::string& password, PinUse pin_use = PinUse::in_password,
                 std::optional<TokenKind> only_kind = std::nullopt) {
    CountingStore store;
    for (Calls& c : g_calls) c = Calls{};
    const ValidationResult r = validate_code(UsersSource{index, kUsersPath}, store, policy,
                                             only_kind, user, password, pin_use, kNow);
    Measured m{r.outcome, {}};
    for (int a = 0; a < kAlgos; ++a) {
        const Calls c = g_calls[a];
        // Every Init belongs to a pad state and comes with one Transform; the rest are the
        // candidates' inner and outer blocks, two each.
        if (c.inits % 2 != 0 || c.transforms < c.inits || (c.transforms - c.inits) % 2 != 0)
            fail_msg("unexpected call pattern for algorithm %d: %ld inits, %ld transforms", a,
                     c.inits, c.transforms);
        m.work.key_setups[a] = c.inits / 2;
        m.work.hmacs[a] = (c.transforms - c.inits) / 2;
    }
    m.work.store_operations = store.operations;
    return m;
}

#define assert_outcome(actual, expected) \
    assert_int_equal(static_cast<int>(actual), static_cast<int>(ValidationOutcome::expected))

#define ASSERT_SAME_WORK(a, b, what)                                       \
    do {                                                                   \
        if (!((a).work == (b).work)) {                                     \
            print_error("%s:\n  %s\n  %s\n", what, (a).work.str().c_str(), \
                        (b).work.str().c_str());                           \
            fail();                                                        \
        }                                                                  \
    } while (0)

// A code that `key` does not produce at any step of now +- window.
std::string wrong_totp_code(HashAlgorithm algorithm, const std::string& hex, unsigned window) {
    for (const char* candidate : {"000000", "111111", "222222", "333333", "444444"}) {
        bool valid = false;
        for (int w = -static_cast<int>(window); w <= static_cast<int>(window); ++w)
            valid |= totp_code(algorithm, key(hex), kNow + 30 * w, 30, 6) == candidate;
        if (!valid) return candidate;
    }
    fail_msg("no wrong code found");
    return {};
}

}  // namespace

// Without libcrypto's deprecated API hotp.cpp takes its EVP path, which these counters do not
// see (counters_see_the_hmacs would fail): skip, saying why.
#if defined(OPENSSL_NO_DEPRECATED_3_0)
#define SKIP_WITHOUT_LOW_LEVEL_API()                                                      \
    do {                                                                                  \
        print_message("libcrypto without the SHA*_Transform API: not measurable here\n"); \
        skip();                                                                           \
    } while (0)
#else
#define SKIP_WITHOUT_LOW_LEVEL_API() \
    do {                             \
    } while (0)
#endif

// The counters see what hotp.cpp computes: one key setup and one HMAC per hotp_code, and one
// key setup with 2w+1 HMACs for a TOTP window search. Otherwise every equality below would
// hold vacuously.
static void counters_see_the_hmacs(void**) {
    SKIP_WITHOUT_LOW_LEVEL_API();
    for (Calls& c : g_calls) c = Calls{};
    assert_string_equal(hotp_code(HashAlgorithm::sha1, key(kAliceHex), 0, 6).c_str(), "755224");
    assert_int_equal(g_calls[kSha1].inits, 2);
    assert_int_equal(g_calls[kSha1].transforms, 4);

    auto index = users_index();
    OtpPolicy policy;
    policy.totp_window = 2;
    const Measured m = measure(*index, policy, "alice", "000000");
    assert_outcome(m.outcome, invalid_otp);
    assert_int_equal(m.work.key_setups[kSha1], 1);
    assert_int_equal(m.work.hmacs[kSha1], 5);
    assert_int_equal(m.work.store_operations, 0);
}

// bob: TOTP (SHA-1, 6 digits, PIN 4321) and TOTP (SHA-256, 8 digits, PIN "+").
static void wrong_pin_costs_what_a_wrong_code_costs_totp(void**) {
    SKIP_WITHOUT_LOW_LEVEL_API();
    auto index = users_index();
    const OtpPolicy policy;
    const std::string code = totp_code(HashAlgorithm::sha1, key(kBobHex), kNow, 30, 6);
    const std::string wrong_code = wrong_totp_code(HashAlgorithm::sha1, kBobHex, 1);

    const Measured right_pin_wrong_code = measure(*index, policy, "bob", "4321" + wrong_code);
    assert_outcome(right_pin_wrong_code.outcome, invalid_otp);

    const Measured wrong_pin_wrong_code = measure(*index, policy, "bob", "1234" + wrong_code);
    const Measured wrong_pin_right_code = measure(*index, policy, "bob", "4320" + code);
    const Measured short_pin = measure(*index, policy, "bob", "432" + code);
    const Measured code_only = measure(*index, policy, "bob", code);
    const Measured pin_only = measure(*index, policy, "bob", "4321");
    const Measured empty = measure(*index, policy, "bob", "");
    assert_outcome(wrong_pin_wrong_code.outcome, invalid_otp);
    assert_outcome(wrong_pin_right_code.outcome, invalid_otp);
    assert_outcome(short_pin.outcome, invalid_otp);
    assert_outcome(code_only.outcome, invalid_otp);
    assert_outcome(pin_only.outcome, invalid_otp);
    assert_outcome(empty.outcome, invalid_otp);
    ASSERT_SAME_WORK(wrong_pin_wrong_code, right_pin_wrong_code,
                     "wrong PIN vs right PIN, wrong code");
    ASSERT_SAME_WORK(wrong_pin_right_code, right_pin_wrong_code,
                     "wrong PIN + right code vs right PIN + wrong code");
    ASSERT_SAME_WORK(short_pin, right_pin_wrong_code, "short PIN vs right PIN, wrong code");
    ASSERT_SAME_WORK(code_only, right_pin_wrong_code, "no PIN vs right PIN, wrong code");
    ASSERT_SAME_WORK(pin_only, right_pin_wrong_code, "PIN only vs right PIN, wrong code");
    ASSERT_SAME_WORK(empty, right_pin_wrong_code, "empty password vs right PIN, wrong code");
    // And that is both tokens searching their whole window (+-1).
    assert_int_equal(right_pin_wrong_code.work.hmacs[kSha1], 3);
    assert_int_equal(right_pin_wrong_code.work.hmacs[kSha256], 3);

    // The right PIN and code: accepted (the comparisons above were against a working token).
    // Not measured: the replay record's key is a SHA-256 through EVP, which calls SHA256_Init
    // inside libcrypto.
    MemoryStateStore store;
    store.set_now(kNow);
    assert_outcome(validate_code(UsersSource{*index, kUsersPath}, store, policy, std::nullopt,
                                 "bob", "4321" + code, PinUse::in_password, kNow)
                       .outcome,
                   accepted);

    // Another algorithm (dave: SHA-512, PIN 77) and a wider window.
    OtpPolicy wide;
    wide.totp_window = 4;
    const std::string dave = totp_code(HashAlgorithm::sha512, key(kDaveHex), kNow, 30, 6);
    const std::string dave_wrong = wrong_totp_code(HashAlgorithm::sha512, kDaveHex, 4);
    const Measured dave_right_pin = measure(*index, wide, "dave", "77" + dave_wrong);
    const Measured dave_wrong_pin = measure(*index, wide, "dave", "78" + dave);
    ASSERT_SAME_WORK(dave_wrong_pin, dave_right_pin, "SHA-512: wrong PIN vs right PIN, wrong code");
    assert_int_equal(dave_right_pin.work.hmacs[kSha512], 9);
}

// carol: HOTP, PIN 9999, COUNTER 5, LASTOTP 000000: the look-ahead is searched either way.
static void wrong_pin_costs_what_a_wrong_code_costs_hotp(void**) {
    SKIP_WITHOUT_LOW_LEVEL_API();
    auto index = users_index();
    OtpPolicy policy;
    policy.hotp_look_ahead = 10;
    const std::string code = hotp_code(HashAlgorithm::sha1, key(kCarolHex), 7, 6);
    std::string wrong_code;
    for (const char* candidate : {"123456", "654321", "222222"}) {
        bool valid = false;
        for (std::uint64_t c = 6; c <= 16; ++c)
            valid |= hotp_code(HashAlgorithm::sha1, key(kCarolHex), c, 6) == candidate;
        if (!valid && wrong_code.empty()) wrong_code = candidate;
    }

    const Measured right_pin_wrong_code = measure(*index, policy, "carol", "9999" + wrong_code);
    assert_outcome(right_pin_wrong_code.outcome, invalid_otp);

    const Measured wrong_pin_wrong_code = measure(*index, policy, "carol", "9998" + wrong_code);
    const Measured wrong_pin_right_code = measure(*index, policy, "carol", "0000" + code);
    const Measured wrong_pin_last_otp = measure(*index, policy, "carol", "1111000000");
    const Measured code_only = measure(*index, policy, "carol", code);
    assert_outcome(wrong_pin_wrong_code.outcome, invalid_otp);
    assert_outcome(wrong_pin_right_code.outcome, invalid_otp);
    assert_outcome(wrong_pin_last_otp.outcome, invalid_otp);
    assert_outcome(code_only.outcome, invalid_otp);
    ASSERT_SAME_WORK(wrong_pin_wrong_code, right_pin_wrong_code,
                     "HOTP: wrong PIN vs right PIN, wrong code");
    ASSERT_SAME_WORK(wrong_pin_right_code, right_pin_wrong_code,
                     "HOTP: wrong PIN + right code vs right PIN + wrong code");
    ASSERT_SAME_WORK(wrong_pin_last_otp, right_pin_wrong_code,
                     "HOTP: wrong PIN + LASTOTP vs right PIN + wrong code");
    ASSERT_SAME_WORK(code_only, right_pin_wrong_code, "HOTP: no PIN vs right PIN, wrong code");
    assert_int_equal(right_pin_wrong_code.work.hmacs[kSha1], 11);  // counters 6..16

    // The right PIN and code would now take the users file (absent here: fail closed).
    assert_outcome(measure(*index, policy, "carol", "9999" + code).outcome, store_error);
}

// An unknown user costs exactly what a known user with one SHA-1 TOTP token whose code is
// wrong costs (key setups and HMACs), whatever OTPWindow.
static void unknown_user_costs_what_a_known_user_costs(void**) {
    SKIP_WITHOUT_LOW_LEVEL_API();
    auto index = users_index();
    for (unsigned window : {0u, 1u, 2u, 5u, 10u}) {
        OtpPolicy policy;
        policy.totp_window = window;
        const Measured known = measure(*index, policy, "alice", "000000");
        const Measured unknown = measure(*index, policy, "mallory", "000000");
        const Measured unknown_pin = measure(*index, policy, "mallory", "4321000000");
        assert_outcome(known.outcome, invalid_otp);
        assert_outcome(unknown.outcome, unknown_user);
        assert_outcome(unknown_pin.outcome, unknown_user);
        const long expected = 2 * static_cast<long>(window) + 1;
        if (known.work.hmacs[kSha1] != expected || unknown.work.total_hmacs() != expected ||
            unknown_pin.work.total_hmacs() != expected) {
            print_error("OTPWindow %u: known user %s\n  unknown user %s\n", window,
                        known.work.str().c_str(), unknown.work.str().c_str());
            fail();
        }
        assert_int_equal(unknown.work.store_operations, known.work.store_operations);
        ASSERT_SAME_WORK(known, unknown, "known and unknown user, TOTP");
    }
}

// Under OTPValidationPipe hotp an unknown user costs what a known HOTP user with a wrong code
// costs (the look-ahead's HMACs, not the TOTP window's), and a known user without an HOTP
// token (alice has only TOTP) costs the same too: neither answers faster.
static void unknown_user_costs_what_the_pipe_costs(void**) {
    SKIP_WITHOUT_LOW_LEVEL_API();
    auto index = users_index();
    for (unsigned look_ahead : {0u, 3u, 10u}) {
        OtpPolicy policy;
        policy.hotp_look_ahead = look_ahead;
        const auto hotp = std::optional<TokenKind>(TokenKind::counter);
        const Measured known =
            measure(*index, policy, "carol", "9999000000", PinUse::in_password, hotp);
        const Measured unknown =
            measure(*index, policy, "mallory", "000000", PinUse::in_password, hotp);
        const Measured no_token =
            measure(*index, policy, "alice", "000000", PinUse::in_password, hotp);
        assert_outcome(unknown.outcome, unknown_user);
        assert_int_equal(known.work.hmacs[kSha1], look_ahead + 1);
        ASSERT_SAME_WORK(known, unknown, "known HOTP user and unknown user, HOTP pipe");
        ASSERT_SAME_WORK(known, no_token, "known HOTP user and a user without an HOTP token");
    }
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counters_see_the_hmacs),
        cmocka_unit_test(wrong_pin_costs_what_a_wrong_code_costs_totp),
        cmocka_unit_test(wrong_pin_costs_what_a_wrong_code_costs_hotp),
        cmocka_unit_test(unknown_user_costs_what_a_known_user_costs),
        cmocka_unit_test(unknown_user_costs_what_the_pipe_costs),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
