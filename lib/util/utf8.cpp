#include "util/utf8.h"

#include <cstdint>

namespace otp {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

bool is_continuation(std::uint8_t b) { return (b & 0xC0) == 0x80; }

// The valid range of the second byte depends on the lead byte (Unicode Table 3-7); this is
// what excludes overlong forms, surrogates and code points above U+10FFFF.
bool second_byte_ok(std::uint8_t lead, std::uint8_t b) {
    switch (lead) {
        case 0xE0:
            return b >= 0xA0 && b <= 0xBF;
        case 0xED:
            return b >= 0x80 && b <= 0x9F;
        case 0xF0:
            return b >= 0x90 && b <= 0xBF;
        case 0xF4:
            return b >= 0x80 && b <= 0x8F;
        default:
            return is_continuation(b);
    }
}

std::size_t expected_length(std::uint8_t lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;  // continuation byte, C0/C1 (always overlong) or F5..FF (beyond U+10FFFF)
}

// How many bytes starting at pos form the longest prefix of a valid sequence (at least 1).
// Used to decide how much one U+FFFD replaces.
std::size_t maximal_subpart(std::string_view text, std::size_t pos) {
    const auto lead = static_cast<std::uint8_t>(text[pos]);
    const std::size_t need = expected_length(lead);
    if (need == 0) return 1;
    std::size_t n = 1;
    while (n < need && pos + n < text.size()) {
        const auto b = static_cast<std::uint8_t>(text[pos + n]);
        if (n == 1 ? !second_byte_ok(lead, b) : !is_continuation(b)) break;
        ++n;
    }
    return n;
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
    if (pos >= text.size()) return 0;
    const auto lead = static_cast<std::uint8_t>(text[pos]);
    const std::size_t need = expected_length(lead);
    if (need == 0 || pos + need > text.size()) return 0;
    for (std::size_t i = 1; i < need; ++i) {
        const auto b = static_cast<std::uint8_t>(text[pos + i]);
        if (i == 1 ? !second_byte_ok(lead, b) : !is_continuation(b)) return 0;
    }
    return need;
}

bool is_valid_utf8(std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t n = utf8_sequence_length(text, pos);
        if (n == 0) return false;
        pos += n;
    }
    return true;
}

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t n = utf8_sequence_length(text, pos);
        if (n > 0) {
            out.append(text.data() + pos, n);
            pos += n;
        } else {
            out += kReplacement;
            pos += maximal_subpart(text, pos);
        }
    }
    return out;
}

bool has_control_characters(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x20 || b == 0x7f) return true;
        if (b == 0xC2 && i + 1 < s.size()) {
            const auto next = static_cast<unsigned char>(s[i + 1]);
            if (next >= 0x80 && next <= 0x9F) return true;
        }
    }
    return false;
}

}  // namespace otp
