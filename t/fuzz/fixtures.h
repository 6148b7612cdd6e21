// Fixed data of the fuzz targets that is also needed to generate their seeds (gen_seeds.cpp):
// the users files of fuzz_basic_credentials, the clock, the session key. Change them only
// together with the generated seeds (see README.md).
#pragma once

#include <cstdint>
#include <string>

namespace fuzz {

// The clock of every target that needs one: 2023-11-14T22:13:20Z, TOTP step 56666666 of 30 s.
constexpr std::int64_t kNow = 1700000000;

// Basic credentials: one user per kind of line the Basic provider must get right. fuzz_verifier
// parses kOathUsers too (its seeds name these users by position, not by code).
//   alice  TOTP, no PIN                     bob    TOTP with PIN 1234, and a second token
//   carol  HOTP with PIN, COUNTER+LASTOTP   dave   HOTP without COUNTER, PIN checked elsewhere
//   erin   TOTP/T60, 8 digits, SHA512       (bob's second token: T60/8, SHA256, PIN "+")
inline const char kOathUsers[] =
    "# users.oath of the fuzz target (oath layout)\n"
    "HOTP/T30\talice\t-\t3132333435363738393031323334353637383930\n"
    "HOTP/T30/6\tbob\t1234\t0102030405060708090a0b0c0d0e0f1011121314\n"
    "HOTP/T60/8-SHA256\tbob\t+\t"
    "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4a1a2a3a4a5a6a7a8a9aaabac\n"
    "\n"
    "HOTP/E\tcarol\t9999\tb1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4\t5\t000000\t"
    "2009-06-12T17:52:32L\n"
    "HOTP\tdave\t+\tc1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4\n"
    "HOTP/T60/8-SHA512\terin\t-\t"
    "d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0"
    "d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0\n";

// The same people in the mod_authn_otp layout: aliases E and T, a time drift, the failure
// counter and last IP fields.
inline const char kAuthnOtpUsers[] =
    "# users file of the fuzz target (mod_authn_otp layout)\n"
    "HOTP/T30    alice   -     3132333435363738393031323334353637383930 2\n"
    "T           bob     1234  0102030405060708090a0b0c0d0e0f1011121314 -1 0\n"
    "hotp/E      carol   9999  b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4 5   1  000000 "
    "2009-06-12T17:52:32L 192.0.2.1\n"
    "E           dave    +     c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4\n";

// The key of fuzz_session_cookie (32 bytes) and a second, different one.
inline const std::string kSessionKey = "fuzz-session-key-0123456789abcde";
inline const std::string kOtherSessionKey = "fuzz-session-key-0123456789abcdX";
static_assert(sizeof("fuzz-session-key-0123456789abcde") - 1 == 32, "a 32-byte key");

// CSRF key and attempt id of fuzz_start_request.
inline const std::string kCsrfKey = "fuzz-csrf-key";
inline const std::string kAttemptId = "AAAAAAAAAAAAAAAAAAAAAAAA";

}  // namespace fuzz
