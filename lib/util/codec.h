// Hex, percent and base32 (RFC 4648 §6) codecs. Decoders return std::nullopt on any malformed
// input rather than guessing, because their input is key material.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otp {

namespace codec_detail {
constexpr std::array<std::int8_t, 256> make_hex_digit_table() {
    std::array<std::int8_t, 256> table{};
    for (int c = 0; c < 256; ++c) {
        table[c] = -1;
        if (c >= '0' && c <= '9') table[c] = static_cast<std::int8_t>(c - '0');
        if (c >= 'a' && c <= 'f') table[c] = static_cast<std::int8_t>(c - 'a' + 10);
        if (c >= 'A' && c <= 'F') table[c] = static_cast<std::int8_t>(c - 'A' + 10);
    }
    return table;
}
inline constexpr std::array<std::int8_t, 256> kHexDigitTable = make_hex_digit_table();
}  // namespace codec_detail

// 0..15 for '0'-'9', 'a'-'f', 'A'-'F'; -1 for anything else. A table lookup because the users
// file decodes the keys of a million users through it.
constexpr int hex_digit_value(char c) {
    return codec_detail::kHexDigitTable[static_cast<unsigned char>(c)];
}

// True when every character is a hex digit (so also for empty text).
inline bool is_hex(std::string_view text) {
    for (char c : text)
        if (hex_digit_value(c) < 0) return false;
    return true;
}

// Appends the bytes `text` spells to *out. On odd length or a non-hex character returns false
// and leaves *out as it was. A template so that the users index can decode straight into its
// arena (a string with its own allocator).
template <class String>
bool hex_decode_append(std::string_view text, String* out) {
    if (text.size() % 2 != 0) return false;
    const std::size_t start = out->size();
    out->resize(start + text.size() / 2);
    char* p = &(*out)[start];
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int hi = hex_digit_value(text[i]), lo = hex_digit_value(text[i + 1]);
        if (hi < 0 || lo < 0) {
            out->resize(start);
            return false;
        }
        *p++ = static_cast<char>((hi << 4) | lo);
    }
    return true;
}

std::string hex_encode(std::string_view bytes);  // lower case
// Accepts upper and lower case; rejects odd length and non-hex characters.
std::optional<std::string> hex_decode(std::string_view text);

// RFC 3986 percent-encoding: the unreserved characters (§2.3) stay, every other byte becomes
// %XX with upper-case hex digits, so no reserved character inside a value can change the
// structure of the URI it is put in.
std::string percent_encode(std::string_view text);

std::string base32_encode(std::string_view bytes, bool pad = true);  // upper case
// Case-insensitive; trailing '=' padding optional but, when present, must be correct;
// rejects characters outside the alphabet and impossible lengths (1, 3, 6 mod 8).
std::optional<std::string> base32_decode(std::string_view text);

}  // namespace otp
