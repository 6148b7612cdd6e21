// Hex and base32 (RFC 4648 §6) codecs. Decoders return std::nullopt on any malformed input
// rather than guessing, because their input is key material.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otp {

std::string hex_encode(std::string_view bytes);  // lower case
// Accepts upper and lower case; rejects odd length and non-hex characters.
std::optional<std::string> hex_decode(std::string_view text);

std::string base32_encode(std::string_view bytes, bool pad = true);  // upper case
// Case-insensitive; trailing '=' padding optional but, when present, must be correct;
// rejects characters outside the alphabet and impossible lengths (1, 3, 6 mod 8).
std::optional<std::string> base32_decode(std::string_view text);

}  // namespace otp
