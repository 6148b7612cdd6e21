// Tests for lib/hotp: RFC 4226 / RFC 6238 vectors, edge cases, search windows, and a
// cross-check against oathtool (OATH Toolkit, an independent implementation).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cmocka_wrap.h"
#include "otp/hotp.h"
#include "util/codec.h"

using otp::HashAlgorithm;

namespace {

constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();

// RFC 4226 Appendix D and RFC 6238 Appendix A/B seeds.
const std::string kSeed20 = "12345678901234567890";
const std::string kSeed32 = "12345678901234567890123456789012";
const std::string kSeed64 = "1234567890123456789012345678901234567890123456789012345678901234";

// Macros rather than functions so that a failure reports the line of the check.
#define expect_step(actual, expected)                     \
    do {                                                  \
        const std::optional<std::uint64_t> r_ = (actual); \
        assert_true(r_.has_value());                      \
        assert_int_equal(*r_, (expected));                \
    } while (0)
#define expect_none(actual) assert_false((actual).has_value())

// ---- RFC vectors --------------------------------------------------------------------------

// RFC 4226 Appendix D: HOTP values of counters 0..9. The 7- and 8-digit strings are the last
// digits of the table's "Decimal" (truncated) column.
void test_rfc4226_vectors(void**) {
    static const struct {
        const char* six;
        const char* seven;
        const char* eight;
    } kTable[] = {
        {"755224", "4755224", "84755224"},  // 1284755224
        {"287082", "4287082", "94287082"},  // 1094287082
        {"359152", "7359152", "37359152"},  // 137359152
        {"969429", "6969429", "26969429"},  // 1726969429
        {"338314", "0338314", "40338314"},  // 1640338314
        {"254676", "8254676", "68254676"},  // 868254676
        {"287922", "8287922", "18287922"},  // 1918287922
        {"162583", "2162583", "82162583"},  // 82162583
        {"399871", "3399871", "73399871"},  // 673399871
        {"520489", "5520489", "45520489"},  // 645520489
    };
    for (std::uint64_t counter = 0; counter < 10; ++counter) {
        assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, kSeed20, counter, 6).c_str(),
                            kTable[counter].six);
        assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, kSeed20, counter, 7).c_str(),
                            kTable[counter].seven);
        assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, kSeed20, counter, 8).c_str(),
                            kTable[counter].eight);
    }
}

struct TotpVector {
    std::int64_t time;
    std::uint64_t step;
    const char* code;
    HashAlgorithm algorithm;
};

// RFC 6238 Appendix B (8 digits, 30 s steps, T0 = 0). The SHA-256 / SHA-512 rows use the
// 32- and 64-byte seeds of the Appendix A reference code.
const TotpVector kRfc6238[] = {
    {59, 0x0000000000000001, "94287082", HashAlgorithm::sha1},
    {59, 0x0000000000000001, "46119246", HashAlgorithm::sha256},
    {59, 0x0000000000000001, "90693936", HashAlgorithm::sha512},
    {1111111109, 0x00000000023523EC, "07081804", HashAlgorithm::sha1},
    {1111111109, 0x00000000023523EC, "68084774", HashAlgorithm::sha256},
    {1111111109, 0x00000000023523EC, "25091201", HashAlgorithm::sha512},
    {1111111111, 0x00000000023523ED, "14050471", HashAlgorithm::sha1},
    {1111111111, 0x00000000023523ED, "67062674", HashAlgorithm::sha256},
    {1111111111, 0x00000000023523ED, "99943326", HashAlgorithm::sha512},
    {1234567890, 0x000000000273EF07, "89005924", HashAlgorithm::sha1},
    {1234567890, 0x000000000273EF07, "91819424", HashAlgorithm::sha256},
    {1234567890, 0x000000000273EF07, "93441116", HashAlgorithm::sha512},
    {2000000000, 0x0000000003F940AA, "69279037", HashAlgorithm::sha1},
    {2000000000, 0x0000000003F940AA, "90698825", HashAlgorithm::sha256},
    {2000000000, 0x0000000003F940AA, "38618901", HashAlgorithm::sha512},
    {20000000000, 0x0000000027BC86AA, "65353130", HashAlgorithm::sha1},
    {20000000000, 0x0000000027BC86AA, "77737706", HashAlgorithm::sha256},
    {20000000000, 0x0000000027BC86AA, "47863826", HashAlgorithm::sha512},
};

const std::string& rfc6238_seed(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha256:
            return kSeed32;
        case HashAlgorithm::sha512:
            return kSeed64;
        case HashAlgorithm::sha1:
            break;
    }
    return kSeed20;
}

void test_rfc6238_vectors(void**) {
    for (const TotpVector& v : kRfc6238) {
        const std::string& key = rfc6238_seed(v.algorithm);
        assert_int_equal(otp::totp_step(v.time, 30), v.step);
        assert_string_equal(otp::totp_code(v.algorithm, key, v.time, 30, 8).c_str(), v.code);
        assert_string_equal(otp::hotp_code(v.algorithm, key, v.step, 8).c_str(), v.code);
        // A 6-digit code is the last six digits of the 8-digit one (both are value mod 10^d).
        assert_string_equal(otp::totp_code(v.algorithm, key, v.time, 30, 6).c_str(), v.code + 2);
        expect_step(otp::find_totp_step(v.algorithm, key, 8, 30, v.time, 0, v.code), v.step);
        expect_step(otp::find_totp_step(v.algorithm, key, 8, 30, v.time, 1, v.code), v.step);
    }
}

// The counter is a full 64-bit big-endian value; these values come from oathtool, not an RFC.
void test_large_counters(void**) {
    const std::uint64_t two_32 = std::uint64_t{1} << 32;
    assert_int_equal(otp::totp_step(128849018880, 30), two_32);  // T = 2^32
    assert_string_equal(otp::totp_code(HashAlgorithm::sha1, kSeed20, 128849018880, 30, 8).c_str(),
                        "55999456");
    assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, kSeed20, two_32, 6).c_str(), "999456");
    assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, kSeed20, kMax, 6).c_str(), "094451");
}

// ---- formatting and argument checks -------------------------------------------------------

void test_leading_zeros_kept(void**) {
    assert_string_equal(otp::totp_code(HashAlgorithm::sha1, kSeed20, 1111111109, 30, 8).c_str(),
                        "07081804");
    assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, kSeed20, 4, 7).c_str(), "0338314");
    assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, kSeed20, kMax, 6).c_str(), "094451");
    // And a code with a leading zero is found by the search functions.
    expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, kMax - 3, 5, "094451"),
                kMax);
    expect_step(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 8, 30, 1111111109, 1, "07081804"),
                0x23523EC);
    // Dropping the zero gives a 7-character string, which is not an 8-digit code.
    expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 8, 30, 1111111109, 1, "7081804"));
}

void test_code_lengths(void**) {
    for (unsigned digits = 6; digits <= 8; ++digits) {
        const std::string code = otp::hotp_code(HashAlgorithm::sha256, kSeed32, 42, digits);
        assert_int_equal(code.size(), digits);
        for (char c : code) assert_true(c >= '0' && c <= '9');
    }
}

void test_unsupported_digits(void**) {
    for (unsigned digits : {0u, 1u, 5u, 9u, 10u, 1000u}) {
        assert_true(otp::hotp_code(HashAlgorithm::sha1, kSeed20, 0, digits).empty());
        assert_true(otp::totp_code(HashAlgorithm::sha1, kSeed20, 59, 30, digits).empty());
        const std::string code(digits < 20 ? digits : 20, '0');
        expect_none(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, digits, 0, 10, code));
        expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, digits, 30, 59, 1, code));
    }
    // 5 digits of a valid code: still refused, the digit count is not supported.
    expect_none(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 5, 0, 0, "55224"));
}

void test_empty_key_rejected(void**) {
    assert_true(otp::hotp_code(HashAlgorithm::sha1, "", 0, 6).empty());
    assert_true(otp::totp_code(HashAlgorithm::sha512, "", 59, 30, 8).empty());
    expect_none(otp::find_hotp_counter(HashAlgorithm::sha1, "", 6, 0, 10, "887919"));
    expect_none(otp::find_totp_step(HashAlgorithm::sha256, "", 6, 30, 59, 1, "887919"));
}

void test_zero_step_rejected(void**) {
    assert_int_equal(otp::totp_step(1000, 0), 0);
    assert_true(otp::totp_code(HashAlgorithm::sha1, kSeed20, 1000, 0, 6).empty());
    const std::string code0 = otp::hotp_code(HashAlgorithm::sha1, kSeed20, 0, 6);
    expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 6, 0, 1000, 1, code0));
}

void test_wrong_length_codes_refused(void**) {
    const std::uint64_t step = 0x23523EC;
    const std::int64_t now = 1111111109;
    for (const char* code :
         {"", "0", "708180", "7081804", "070818040", "07081804 ", " 07081804", "0708180\n"}) {
        expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 8, 30, now, 2, code));
        expect_none(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 8, step - 1, 3, code));
    }
    // A 6-digit code is refused where 8 digits are expected, even though it matches their tail.
    expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 8, 30, now, 1, "081804"));
    expect_step(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 6, 30, now, 1, "081804"), step);
    // Non-digits of the right length never match.
    expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 8, 30, now, 1, "O7O818O4"));
    const std::string with_nul("0708180\0", 8);
    expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 8, 30, now, 1, with_nul));
}

// ---- time steps ---------------------------------------------------------------------------

void test_totp_step_edges(void**) {
    constexpr std::int64_t kMin64 = std::numeric_limits<std::int64_t>::min();
    constexpr std::int64_t kMax64 = std::numeric_limits<std::int64_t>::max();
    assert_int_equal(otp::totp_step(0, 30), 0);
    assert_int_equal(otp::totp_step(29, 30), 0);
    assert_int_equal(otp::totp_step(30, 30), 1);
    assert_int_equal(otp::totp_step(59, 30), 1);
    assert_int_equal(otp::totp_step(60, 30), 2);
    assert_int_equal(otp::totp_step(119, 60), 1);
    assert_int_equal(otp::totp_step(12345, 1), 12345);
    // Before the epoch / before T0: step 0, never a wrapped huge value.
    assert_int_equal(otp::totp_step(-1, 30), 0);
    assert_int_equal(otp::totp_step(-31, 30), 0);
    assert_int_equal(otp::totp_step(kMin64, 30), 0);
    // T0 shifts the origin.
    assert_int_equal(otp::totp_step(99, 30, 100), 0);
    assert_int_equal(otp::totp_step(100, 30, 100), 0);
    assert_int_equal(otp::totp_step(129, 30, 100), 0);
    assert_int_equal(otp::totp_step(130, 30, 100), 1);
    assert_int_equal(otp::totp_step(-70, 30, -100), 1);
    // The extremes: the difference exceeds INT64_MAX but must not overflow.
    assert_int_equal(otp::totp_step(kMax64, 1), static_cast<std::uint64_t>(kMax64));
    assert_int_equal(otp::totp_step(kMax64, 30), static_cast<std::uint64_t>(kMax64) / 30);
    assert_int_equal(otp::totp_step(kMax64, 1, kMin64), kMax);
    assert_int_equal(otp::totp_step(kMax64, 0xffffffffu, kMin64), kMax / 0xffffffffu);
    // Codes before the epoch are the codes of step 0.
    assert_string_equal(otp::totp_code(HashAlgorithm::sha1, kSeed20, -1000, 30, 6).c_str(),
                        "755224");
}

// ---- search windows -----------------------------------------------------------------------

std::string hotp6(std::uint64_t counter) {
    return otp::hotp_code(HashAlgorithm::sha1, kSeed20, counter, 6);
}

// Asserts that the code of `outside` is not also the code of a counter in [lo, hi], so that
// "refused" below tests the window and not a chance collision.
void assert_no_collision(std::uint64_t outside, std::uint64_t lo, std::uint64_t hi) {
    const std::string code = hotp6(outside);
    for (std::uint64_t c = lo;; ++c) {
        assert_true(hotp6(c) != code);
        if (c == hi) break;
    }
}

void test_hotp_look_ahead_boundaries(void**) {
    const std::uint64_t first = 1000;
    // Look-aheads around the internal batch size (8) too.
    for (unsigned look_ahead : {0u, 1u, 2u, 7u, 8u, 9u, 10u, 15u, 16u, 17u, 40u}) {
        const std::uint64_t last = first + look_ahead;
        expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, first, look_ahead,
                                           hotp6(first)),
                    first);
        expect_step(
            otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, first, look_ahead, hotp6(last)),
            last);
        expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, first, look_ahead,
                                           hotp6(first + look_ahead / 2)),
                    first + look_ahead / 2);
        assert_no_collision(last + 1, first, last);
        expect_none(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, first, look_ahead,
                                           hotp6(last + 1)));
        assert_no_collision(first - 1, first, last);
        expect_none(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, first, look_ahead,
                                           hotp6(first - 1)));
    }
    // Every counter of a window spanning several batches is found at its own position.
    for (std::uint64_t c = first; c <= first + 20; ++c)
        expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, first, 20, hotp6(c)),
                    c);
}

void test_hotp_counter_does_not_wrap(void**) {
    // The window stops at UINT64_MAX instead of wrapping around to 0, 1, ...
    expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, kMax - 2, 10, hotp6(kMax)),
                kMax);
    expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, kMax, 0, hotp6(kMax)),
                kMax);
    expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, kMax, 100, hotp6(kMax)),
                kMax);
    for (std::uint64_t wrapped = 0; wrapped < 8; ++wrapped) {
        assert_no_collision(wrapped, kMax - 2, kMax);
        expect_none(
            otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, kMax - 2, 10, hotp6(wrapped)));
    }
}

// Two counters that share a code by chance: the search returns the lower one.
void test_hotp_duplicate_code_returns_lowest(void**) {
    std::vector<std::string> codes;
    std::uint64_t lo = 0, hi = 0;
    for (std::uint64_t c = 0; hi == 0 && c < 20000; ++c) {
        codes.push_back(hotp6(c));
        for (std::uint64_t earlier = 0; earlier < c; ++earlier)
            if (codes[earlier] == codes[c]) {
                lo = earlier;
                hi = c;
                break;
            }
    }
    assert_true(hi > lo);
    const auto span = static_cast<unsigned>(hi - lo);
    expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, lo, span, codes[lo]), lo);
    expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, kSeed20, 6, lo + 1, span, codes[lo]),
                hi);
}

void test_totp_window_boundaries(void**) {
    const std::int64_t now = 1234567890;
    const std::uint64_t step = otp::totp_step(now, 30);
    auto code_at = [](std::uint64_t s) {
        return otp::hotp_code(HashAlgorithm::sha256, kSeed32, s, 8);
    };
    auto find = [&](unsigned window, const std::string& code) {
        return otp::find_totp_step(HashAlgorithm::sha256, kSeed32, 8, 30, now, window, code);
    };
    for (unsigned window : {0u, 1u, 2u, 3u, 4u, 5u, 10u}) {
        for (std::uint64_t s = step - window; s <= step + window; ++s)
            expect_step(find(window, code_at(s)), s);
        expect_none(find(window, code_at(step - window - 1)));
        expect_none(find(window, code_at(step + window + 1)));
    }
    // Window 0 accepts only the current step, from its first to its last second.
    assert_int_equal(step * 30, 1234567890);
    for (std::int64_t t : {1234567890, 1234567919})
        expect_step(otp::find_totp_step(HashAlgorithm::sha256, kSeed32, 8, 30, t, 0, code_at(step)),
                    step);
    for (std::int64_t t : {1234567889, 1234567920})
        expect_none(
            otp::find_totp_step(HashAlgorithm::sha256, kSeed32, 8, 30, t, 0, code_at(step)));
}

void test_totp_window_at_epoch(void**) {
    // At step 0 the window cannot reach below 0; it is clipped rather than wrapped.
    for (std::int64_t now : {std::int64_t{0}, std::int64_t{-5000}}) {
        for (std::uint64_t s = 0; s <= 2; ++s)
            expect_step(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 6, 30, now, 2, hotp6(s)),
                        s);
        assert_no_collision(3, 0, 2);
        expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 6, 30, now, 2, hotp6(3)));
        assert_no_collision(kMax, 0, 2);
        expect_none(otp::find_totp_step(HashAlgorithm::sha1, kSeed20, 6, 30, now, 2, hotp6(kMax)));
    }
}

// ---- keys longer than the hash block (RFC 2104: hashed first) --------------------------------

void test_long_keys(void**) {
    // Codes from oathtool for the key "12345678901234567890" repeated to 100 / 200 bytes: longer
    // than the SHA-1/SHA-256 block (64) and the SHA-512 block (128), so hashed first.
    std::string key100, key200;
    while (key100.size() < 100) key100 += kSeed20;
    while (key200.size() < 200) key200 += kSeed20;
    assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, key100, 0, 8).c_str(), "03406211");
    assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, key100, 7, 8).c_str(), "00643888");
    assert_string_equal(otp::hotp_code(HashAlgorithm::sha256, key100, 7, 8).c_str(), "77578051");
    assert_string_equal(otp::hotp_code(HashAlgorithm::sha512, key200, 7, 8).c_str(), "48560132");
    expect_step(otp::find_hotp_counter(HashAlgorithm::sha1, key100, 8, 0, 10, "00643888"), 7);
}

// ---- threads --------------------------------------------------------------------------------

void test_concurrent_use(void**) {
    // No shared mutable state: threads computing vectors at the same time all get them right.
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < failures.size(); ++t)
        threads.emplace_back([&failures, t] {
            for (int round = 0; round < 300; ++round)
                for (const TotpVector& v : kRfc6238) {
                    const std::string& key = rfc6238_seed(v.algorithm);
                    if (otp::totp_code(v.algorithm, key, v.time, 30, 8) != v.code ||
                        otp::find_totp_step(v.algorithm, key, 8, 30, v.time, 1, v.code) != v.step)
                        ++failures[t];
                }
        });
    for (std::thread& thread : threads) thread.join();
    for (int f : failures) assert_int_equal(f, 0);
}

// ---- cross-check with oathtool -------------------------------------------------------------

bool have_oathtool() { return std::system("command -v oathtool >/dev/null 2>&1") == 0; }

std::string run_oathtool(const std::string& arguments) {
    const std::string command = "oathtool " + arguments + " 2>/dev/null";
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) return "popen failed";
    std::string out;
    char buffer[128];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) out += buffer;
    pclose(pipe);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return out;
}

const char* oathtool_mode(HashAlgorithm algorithm) { return otp::hash_algorithm_name(algorithm); }

void test_matches_oathtool(void**) {
    // The peer implementation is a test dependency (scripts/ensure-deps.sh installs it).
    if (!have_oathtool()) fail_msg("oathtool is not installed: apt-get install oathtool");
    std::mt19937_64 rng(20240601);  // fixed seed: reproducible keys, times and counters
    auto random_key = [&](std::size_t size) {
        std::string key(size, '\0');
        for (char& c : key) c = static_cast<char>(rng() & 0xff);
        return key;
    };
    const HashAlgorithm algorithms[] = {HashAlgorithm::sha1, HashAlgorithm::sha256,
                                        HashAlgorithm::sha512};
    // Key sizes: typical ones, one byte, and beyond the SHA-1/256 (64) and SHA-512 (128) blocks.
    const std::size_t key_sizes[] = {1, 10, 20, 32, 63, 64, 65, 100, 128, 129, 200};
    int compared = 0;
    for (std::size_t size : key_sizes) {
        const std::string key = random_key(size);
        const std::string hex = otp::hex_encode(key);
        for (HashAlgorithm algorithm : algorithms) {
            const unsigned digits = 6 + static_cast<unsigned>(rng() % 3);
            const unsigned step = (rng() % 2) ? 30 : 60;
            // Up to ~3.4e11 s, so some steps exceed 2^32.
            const std::int64_t now = static_cast<std::int64_t>(rng() % 343597383680ULL);
            const std::string expected =
                run_oathtool("--totp=" + std::string(oathtool_mode(algorithm)) + " -d " +
                             std::to_string(digits) + " -s " + std::to_string(step) + " -N @" +
                             std::to_string(now) + " " + hex);
            const std::string ours = otp::totp_code(algorithm, key, now, step, digits);
            if (ours != expected)
                std::fprintf(stderr, "mismatch: %s key=%s t=%lld step=%u digits=%u: %s vs %s\n",
                             oathtool_mode(algorithm), hex.c_str(), static_cast<long long>(now),
                             step, digits, ours.c_str(), expected.c_str());
            assert_string_equal(ours.c_str(), expected.c_str());
            expect_step(otp::find_totp_step(algorithm, key, digits, step, now, 1, expected),
                        otp::totp_step(now, step));
            ++compared;
        }
        // HOTP (oathtool's HOTP mode is SHA-1 only).
        const std::uint64_t counter = rng() >> (rng() % 64);
        const std::string expected = run_oathtool("-c " + std::to_string(counter) + " -d 6 " + hex);
        assert_string_equal(otp::hotp_code(HashAlgorithm::sha1, key, counter, 6).c_str(),
                            expected.c_str());
        ++compared;
    }
    assert_int_equal(compared, 44);
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4226_vectors),
        cmocka_unit_test(test_rfc6238_vectors),
        cmocka_unit_test(test_large_counters),
        cmocka_unit_test(test_leading_zeros_kept),
        cmocka_unit_test(test_code_lengths),
        cmocka_unit_test(test_unsupported_digits),
        cmocka_unit_test(test_empty_key_rejected),
        cmocka_unit_test(test_zero_step_rejected),
        cmocka_unit_test(test_wrong_length_codes_refused),
        cmocka_unit_test(test_totp_step_edges),
        cmocka_unit_test(test_hotp_look_ahead_boundaries),
        cmocka_unit_test(test_hotp_counter_does_not_wrap),
        cmocka_unit_test(test_hotp_duplicate_code_returns_lowest),
        cmocka_unit_test(test_totp_window_boundaries),
        cmocka_unit_test(test_totp_window_at_epoch),
        cmocka_unit_test(test_long_keys),
        cmocka_unit_test(test_concurrent_use),
        cmocka_unit_test(test_matches_oathtool),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
