#include "util/codec.h"

#include <cstdint>

namespace otp {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kUpperHexDigits[] = "0123456789ABCDEF";
constexpr char kBase32Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

bool is_unreserved(unsigned char c) {  // RFC 3986 §2.3
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int base32_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

}  // namespace

std::string hex_encode(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char b : bytes) {
        out.push_back(kHexDigits[b >> 4]);
        out.push_back(kHexDigits[b & 0x0f]);
    }
    return out;
}

std::optional<std::string> hex_decode(std::string_view text) {
    std::string out;
    if (!hex_decode_append(text, &out)) return std::nullopt;
    return out;
}

std::string percent_encode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (is_unreserved(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kUpperHexDigits[c >> 4]);
            out.push_back(kUpperHexDigits[c & 0x0f]);
        }
    }
    return out;
}

std::string base32_encode(std::string_view bytes, bool pad) {
    std::string out;
    out.reserve((bytes.size() + 4) / 5 * 8);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 0x1f]);
            bits -= 5;
        }
    }
    if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
    if (pad)
        while (out.size() % 8 != 0) out.push_back('=');
    return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
    std::size_t data_len = text.size();
    while (data_len > 0 && text[data_len - 1] == '=') --data_len;
    const std::size_t padding = text.size() - data_len;
    // 8 characters carry 5 bytes; a final group of 1, 3 or 6 characters cannot occur.
    const std::size_t tail = data_len % 8;
    if (tail == 1 || tail == 3 || tail == 6) return std::nullopt;
    if (padding > 0 && (text.size() % 8 != 0 || padding > 6)) return std::nullopt;

    std::string out;
    out.reserve(data_len * 5 / 8);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < data_len; ++i) {
        int v = base32_value(text[i]);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 5) | static_cast<std::uint32_t>(v);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
            bits -= 8;
        }
    }
    // Leftover bits must be zero, otherwise the text is not a canonical encoding.
    if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

}  // namespace otp
