// HOTP (RFC 4226) and TOTP (RFC 6238) code generation and verification windows.
// Keys are raw bytes held in std::string; codes are decimal strings with leading zeros kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/constant_time.h"  // for files that still expect constant_time_equal here
#include "crypto/hash_algorithm.h"

namespace otp {

constexpr unsigned kMinDigits = 6;
constexpr unsigned kMaxDigits = 8;

// RFC 4226 §5.3: HMAC, dynamic truncation, modulo 10^digits, zero padded. digits in 6..8.
std::string hotp_code(HashAlgorithm algorithm, std::string_view key, std::uint64_t counter,
                      unsigned digits);

// RFC 6238 §4.2: T = floor((unix_time - t0) / step). unix_time before t0 yields 0.
std::uint64_t totp_step(std::int64_t unix_time, unsigned step_seconds, std::int64_t t0 = 0);

std::string totp_code(HashAlgorithm algorithm, std::string_view key, std::int64_t unix_time,
                      unsigned step_seconds, unsigned digits);

// Searches counters first .. first + look_ahead (inclusive) for `code` (RFC 4226 §7.4
// resynchronisation). Every candidate is computed and compared in constant time, so the
// running time does not tell where (or whether) the code matched. Returns the matching counter.
std::optional<std::uint64_t> find_hotp_counter(HashAlgorithm algorithm, std::string_view key,
                                               unsigned digits, std::uint64_t first,
                                               unsigned look_ahead, std::string_view code);

// Searches time steps now-window .. now+window (RFC 6238 §5.2) for `code`, in constant time
// as above. Returns the matching time step number T.
std::optional<std::uint64_t> find_totp_step(HashAlgorithm algorithm, std::string_view key,
                                            unsigned digits, unsigned step_seconds,
                                            std::int64_t unix_time, unsigned window,
                                            std::string_view code);

}  // namespace otp
