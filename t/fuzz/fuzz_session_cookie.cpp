// Sealed session cookies (SPEC §3 "Session", lib/session/session_cookie.h) under a fixed key.
// The whole input is first presented as a cookie value to open(); then the same bytes choose
// claims to seal, a tampering, and the clock and limits for check_session.
//
// Properties:
//  - open() of the raw input: never over 4096 characters; anything it accepts is the
//    canonical base64url spelling of version 0x01 || nonce || ciphertext || tag whose length
//    matches the claims exactly (the seeds include cookies sealed under the fixed key);
//  - seal() then open() gives the same claims; seal() refuses exactly the claims whose cookie
//    would exceed 4096 characters; sealing twice gives different values (random nonce);
//  - a sealed value with any one character changed, truncated, extended, or opened with
//    another key or with an invalid key does not open;
//  - check_session equals its documented rules evaluated in 128-bit arithmetic (no overflow).
#include <fuzzer/FuzzedDataProvider.h>

#include <optional>
#include <string>

#include "fixtures.h"
#include "fuzz_support.h"
#include "session/session_cookie.h"
#include "util/base64url.h"

using namespace otp;

namespace {

constexpr std::size_t kOverhead = 1 + 12 + 16;  // version, nonce, tag
constexpr std::size_t kFixedPlain = 3 * 4 + 2 * 8;  // three length prefixes, two integers

std::size_t plain_size(const SessionClaims& c) {
    return kFixedPlain + c.session_id.size() + c.user.size() + c.location.size();
}

std::size_t cookie_size(std::size_t plain) {
    const std::size_t raw = kOverhead + plain;
    return (raw * 4 + 2) / 3;  // unpadded base64url
}

bool same_claims(const SessionClaims& a, const SessionClaims& b) {
    return a.session_id == b.session_id && a.user == b.user && a.location == b.location &&
           a.issued_at == b.issued_at && a.last_used == b.last_used;
}

const SessionSealer& sealer() {
    static const SessionSealer s(fuzz::kSessionKey);
    return s;
}

SessionState reference_state(const SessionClaims& c, std::string_view location, std::int64_t now,
                             std::int64_t lifetime, std::int64_t idle_timeout) {
    if (c.location != location) return SessionState::wrong_location;
    const __int128 age = static_cast<__int128>(now) - c.issued_at;
    const __int128 idle = static_cast<__int128>(now) - c.last_used;
    // "Arithmetic is overflow-safe: absurd timestamps count as expired."
    const __int128 max = INT64_MAX, min = INT64_MIN;
    if (age > max || age < min || idle > max || idle < min) return SessionState::expired;
    if (age < -kSessionClockSkew || idle < -kSessionClockSkew) return SessionState::expired;
    if (lifetime <= 0 || age >= lifetime) return SessionState::expired;
    if (idle_timeout > 0 && idle >= idle_timeout) return SessionState::idle;
    return SessionState::valid;
}

void check_state(const SessionClaims& c, std::string_view location, std::int64_t now,
                 std::int64_t lifetime, std::int64_t idle) {
    const SessionState got = check_session(c, location, now, lifetime, idle);
    const SessionState want = reference_state(c, location, now, lifetime, idle);
    FUZZ_CHECK(got == want,
               "check_session(issued %lld, used %lld, now %lld, lifetime %lld, idle %lld) = %s, "
               "expected %s", static_cast<long long>(c.issued_at),
               static_cast<long long>(c.last_used), static_cast<long long>(now),
               static_cast<long long>(lifetime), static_cast<long long>(idle),
               session_state_name(got), session_state_name(want));
}

std::int64_t pick_time(FuzzedDataProvider& in, std::int64_t base) {
    // Mostly near the fixed clock (where the interesting boundaries are), sometimes anything.
    if (in.ConsumeBool()) return in.ConsumeIntegral<std::int64_t>();
    std::int64_t t = 0;
    if (__builtin_add_overflow(base, in.ConsumeIntegralInRange<std::int64_t>(-100000, 100000), &t))
        return base;
    return t;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_view(data, size);

    // 1. The input as a cookie value.
    if (const std::optional<SessionClaims> opened = sealer().open(input)) {
        FUZZ_CHECK(input.size() <= kMaxSessionCookieBytes, "a %zu-character cookie opened",
                   input.size());
        const std::optional<std::string> raw = base64url_decode(input);
        FUZZ_CHECK(raw && base64url_encode(*raw) == input, "non-canonical cookie opened");
        FUZZ_CHECK((*raw)[0] == '\x01', "cookie of version %d opened", (*raw)[0]);
        FUZZ_CHECK(raw->size() == kOverhead + plain_size(*opened),
                   "cookie of %zu bytes opened into claims of %zu", raw->size(),
                   plain_size(*opened));
        FUZZ_CHECK(!SessionSealer(fuzz::kOtherSessionKey).open(input), "opened under two keys");
        check_state(*opened, opened->location, fuzz::kNow, 28800, 1800);
    }
    FUZZ_CHECK(!SessionSealer("short key").open(input), "a sealer with a bad key opened a cookie");

    // 2. Claims chosen by the input, sealed and opened again.
    FuzzedDataProvider in(data, size);
    SessionClaims claims;
    claims.session_id = in.ConsumeRandomLengthString(64);
    claims.user = in.ConsumeRandomLengthString(2048);
    claims.location = in.ConsumeRandomLengthString(2048);
    claims.issued_at = pick_time(in, fuzz::kNow);
    claims.last_used = pick_time(in, claims.issued_at);

    const std::optional<std::string> sealed = sealer().seal(claims);
    const bool fits = cookie_size(plain_size(claims)) <= kMaxSessionCookieBytes;
    FUZZ_CHECK(sealed.has_value() == fits, "seal() %s claims of %zu bytes",
               sealed ? "accepted" : "refused", plain_size(claims));
    FUZZ_CHECK(!SessionSealer("").seal(claims), "sealed with an empty key");

    if (sealed) {
        FUZZ_CHECK(sealed->size() == cookie_size(plain_size(claims)),
                   "sealed size %zu, expected %zu", sealed->size(), cookie_size(plain_size(claims)));
        const std::optional<SessionClaims> back = sealer().open(*sealed);
        FUZZ_CHECK(back && same_claims(*back, claims), "seal/open round trip lost the claims");
        FUZZ_CHECK(!SessionSealer(fuzz::kOtherSessionKey).open(*sealed), "opened with another key");

        const std::optional<std::string> again = sealer().seal(claims);
        FUZZ_CHECK(again && *again != *sealed, "two seals of the same claims are equal (nonce?)");

        // One character changed (to another base64url character).
        static const char kAlphabet[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        std::string tampered = *sealed;
        const std::size_t at = in.ConsumeIntegralInRange<std::size_t>(0, tampered.size() - 1);
        const char was = tampered[at];
        char now = kAlphabet[in.ConsumeIntegralInRange<int>(0, 63)];
        if (now == was) now = was == 'A' ? 'B' : 'A';
        tampered[at] = now;
        FUZZ_CHECK(!sealer().open(tampered), "changing character %zu of %zu still opens", at,
                   tampered.size());

        const std::size_t keep = in.ConsumeIntegralInRange<std::size_t>(0, sealed->size() - 1);
        FUZZ_CHECK(!sealer().open(std::string_view(*sealed).substr(0, keep)),
                   "a cookie cut to %zu of %zu characters opens", keep, sealed->size());
        const std::string longer = *sealed + std::string(in.ConsumeIntegralInRange<int>(1, 4), 'A');
        FUZZ_CHECK(!sealer().open(longer), "a cookie with characters appended opens");

        // 3. The session rules on the opened claims.
        const std::string location =
            in.ConsumeBool() ? back->location : in.ConsumeRandomLengthString(64);
        const std::int64_t now_t = pick_time(in, claims.last_used);
        const std::int64_t lifetime =
            in.ConsumeBool() ? in.ConsumeIntegral<std::int64_t>() : in.ConsumeIntegralInRange<std::int64_t>(-1, 100000);
        const std::int64_t idle =
            in.ConsumeBool() ? in.ConsumeIntegral<std::int64_t>() : in.ConsumeIntegralInRange<std::int64_t>(-1, 100000);
        check_state(*back, location, now_t, lifetime, idle);
    }
    return 0;
}
