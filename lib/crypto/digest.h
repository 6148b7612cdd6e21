// Hashes, keyed hashes and randomness for keys the module derives (store keys, linger
// records). Thin wrappers over OpenSSL's libcrypto that return raw bytes in std::string.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace otp {

std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

// Unambiguous concatenation for hashing several fields: each field is prefixed by its length,
// so ("ab","c") and ("a","bc") never hash alike.
std::string length_prefixed(std::initializer_list<std::string_view> fields);

// Cryptographically secure random bytes; std::nullopt when the generator fails.
std::optional<std::string> random_bytes(std::size_t count);

}  // namespace otp
