// ns per TOTP validation (window ±1, 6 digits, 30 s steps): otp::find_totp_step against
// liboath's oath_totp_validate on the same key and time, in the same run.
//
//   cmake --build build --target totp_bench && ./build/totp_bench
//
// Three codes per hash: the code of the current step, the code of the previous step, and a
// wrong code. liboath stops at the first match (it tries the current step first), so its cost
// depends on where the code matched; find_totp_step always computes all 2w+1 candidates.
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "otp/hotp.h"

#ifdef HAVE_LIBOATH
#include <oath.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::int64_t kNow = 1700000015;  // fixed, so runs are comparable
constexpr unsigned kStep = 30;
constexpr unsigned kDigits = 6;
constexpr unsigned kWindow = 1;

constexpr int kRounds = 10;
constexpr auto kRoundDuration = std::chrono::milliseconds(100);  // 1 s per implementation and case

volatile long g_sink;  // keeps results observable so the calls are not optimised away

// One timed round: fn in batches of 1000 calls until kRoundDuration has passed; ns per call.
double time_round(const std::function<long()>& fn) {
    long calls = 0;
    const Clock::time_point start = Clock::now();
    Clock::time_point end;
    do {
        for (int i = 0; i < 1000; ++i) g_sink = g_sink + fn();
        calls += 1000;
        end = Clock::now();
    } while (end - start < kRoundDuration);
    return std::chrono::duration<double, std::nano>(end - start).count() / calls;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// Median ns per call of each function. Rounds of the two alternate, so that a noisy neighbour
// on a shared machine (this one is a 2-core VM) disturbs both alike.
std::vector<double> compare(const std::vector<std::function<long()>>& fns) {
    std::vector<std::vector<double>> rounds(fns.size());
    for (const auto& fn : fns)
        for (int i = 0; i < 1000; ++i) g_sink = g_sink + fn();  // warm-up
    for (int r = 0; r < kRounds; ++r)
        for (std::size_t f = 0; f < fns.size(); ++f) rounds[f].push_back(time_round(fns[f]));
    std::vector<double> medians;
    for (const auto& r : rounds) medians.push_back(median(r));
    return medians;
}

struct Case {
    const char* name;
    std::string code;
    bool valid;
};

struct Algo {
    otp::HashAlgorithm algorithm;
    int oath_flags;
};

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "totp_bench: %s\n", what);
    std::exit(1);
}

#ifdef HAVE_LIBOATH
long oath_validate(const std::string& key, int flags, const std::string& code) {
    if (flags == 0)  // the plain SHA-1 entry point pam_oath uses
        return oath_totp_validate(key.data(), key.size(), kNow, kStep, 0, kWindow, code.c_str());
    return oath_totp_validate4(key.data(), key.size(), kNow, kStep, 0, kWindow, nullptr,
                               nullptr, flags, code.c_str());
}
#endif

void run(const std::string& key, const Algo& algo) {
    const std::uint64_t now_step = otp::totp_step(kNow, kStep);
    const std::string current = otp::hotp_code(algo.algorithm, key, now_step, kDigits);
    const std::string previous = otp::hotp_code(algo.algorithm, key, now_step - 1, kDigits);
    std::string wrong = "000000";
    for (char d = '0'; wrong == current || wrong == previous ||
                       wrong == otp::hotp_code(algo.algorithm, key, now_step + 1, kDigits);
         ++d)
        wrong.assign(kDigits, d);
    const Case cases[] = {{"code at T", current, true},
                          {"code at T-1", previous, true},
                          {"wrong code", wrong, false}};

    for (const Case& c : cases) {
        auto ours = [&] {
            return static_cast<long>(otp::find_totp_step(algo.algorithm, key, kDigits, kStep,
                                                         kNow, kWindow, c.code)
                                         .value_or(0));
        };
        if ((ours() != 0) != c.valid) fail("find_totp_step disagrees with the expected result");
#ifdef HAVE_LIBOATH
        auto theirs = [&] { return oath_validate(key, algo.oath_flags, c.code); };
        if ((theirs() >= 0) != c.valid) fail("liboath disagrees with the expected result");
        const std::vector<double> ns = compare({ours, theirs});
        std::printf("| %-6s | %-11s | %8.0f | %8.0f | %5.2fx |\n",
                    otp::hash_algorithm_name(algo.algorithm), c.name, ns[0], ns[1], ns[1] / ns[0]);
#else
        const std::vector<double> ns = compare({ours});
        std::printf("| %-6s | %-11s | %8.0f | %8s | %6s |\n",
                    otp::hash_algorithm_name(algo.algorithm), c.name, ns[0], "n/a", "n/a");
#endif
    }
}

}  // namespace

int main() {
#ifdef HAVE_LIBOATH
    if (oath_init() != OATH_OK) fail("oath_init failed");
    std::printf("liboath %s, ", oath_check_version(nullptr));
#else
    std::printf("liboath not available, ");
#endif
    std::printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
    std::printf("window ±%u, %u digits, %u s step, keys of 20 (SHA1), 32 (SHA256), 64 (SHA512)"
                " bytes; median of %d rounds of %lld ms, ns per validation\n\n",
                kWindow, kDigits, kStep, kRounds, static_cast<long long>(kRoundDuration.count()));
    std::printf("| hash   | case        | otp ns   | oath ns  | ratio  |\n");
    std::printf("|--------|-------------|----------|----------|--------|\n");

    const std::string key_bytes =
        "\x3b\x91\x0e\xa7\x55\x02\xc4\x8f\x61\xd9\x1a\x7c\xe0\x33\xb6\x48"
        "\x9f\x20\x6d\xc5\x17\x84\xfa\x0b\x52\xee\x39\x76\xa1\x0d\x68\xc3"
        "\x44\xbd\x05\x9a\x7e\x12\xf6\x83\x2c\xd0\x69\xb5\x1e\x47\xaa\x30"
        "\xe9\x5c\x88\x13\x7b\xc2\x06\xfd\x4a\x91\x27\xde\x60\xb4\x3f\x8d";
    run(key_bytes.substr(0, 20), {otp::HashAlgorithm::sha1, 0});
#ifdef HAVE_LIBOATH
    run(key_bytes.substr(0, 32), {otp::HashAlgorithm::sha256, OATH_TOTP_HMAC_SHA256});
    run(key_bytes, {otp::HashAlgorithm::sha512, OATH_TOTP_HMAC_SHA512});
    oath_done();
#else
    run(key_bytes.substr(0, 32), {otp::HashAlgorithm::sha256, 0});
    run(key_bytes, {otp::HashAlgorithm::sha512, 0});
#endif
    return 0;
}
