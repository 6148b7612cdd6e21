// The decoders of client-controlled text in lib/util: base64url (cookies, CSRF tokens), hex
// and base32 (key material), UTF-8 validation and repair (user names, header values), and the
// encoders client text goes out through: JSON quoting (every answer and event line) and
// percent-encoding (URIs). The input is fed to all of them.
//
// Properties:
//  - hex: decode(encode(x)) == x; an accepted text has even length and is the encoding of
//    its result up to letter case;
//  - base32: decode(encode(x)) == x with and without padding and in lower case; an accepted
//    text is the encoding of its result up to case, with either no padding or exactly the
//    right padding (one spelling per value, besides case and the optional padding);
//  - base64url: decode(encode(x)) == x; an accepted text is exactly encode(result) (strict:
//    one spelling per value); base64 is base64url with '+' '/' and '=' padding;
//  - percent_encode: only unreserved characters and %XX (upper case) in the output, exactly the
//    non-unreserved bytes escaped, and it decodes back to the input;
//  - UTF-8: is_valid_utf8, utf8_sequence_length and sanitize_utf8 equal a reference written
//    from the code point definition (RFC 3629 / Unicode §3.9, substitution of maximal
//    subparts); sanitize output is valid, unchanged for valid input, idempotent;
//  - json_quote(x) is a JSON string that reads back as sanitize_utf8(x) and holds no raw
//    control character, so a user name cannot start a new event log line; the same through
//    JsonObject.
#include <jansson.h>

#include <memory>
#include <optional>
#include <string>

#include "fuzz_support.h"
#include "util/base64url.h"
#include "util/codec.h"
#include "util/json_body.h"
#include "util/utf8.h"

using namespace otp;

namespace {

// ---- hex, base32, base64 ---------------------------------------------------------------

void check_hex(std::string_view x) {
    const auto back = hex_decode(hex_encode(x));
    FUZZ_CHECK(back && *back == x, "hex round trip");
    FUZZ_CHECK(hex_encode(x).size() == 2 * x.size(), "hex length");
    if (const auto decoded = hex_decode(x)) {
        FUZZ_CHECK(x.size() % 2 == 0 && decoded->size() == x.size() / 2, "hex length accepted");
        FUZZ_CHECK(hex_encode(*decoded) == fuzz::ascii_lower(x), "'%s' is not hex of its value",
                   FUZZ_P(x));
    }
}

void check_base32(std::string_view x) {
    for (bool pad : {true, false}) {
        const std::string e = base32_encode(x, pad);
        const auto back = base32_decode(e);
        FUZZ_CHECK(back && *back == x, "base32 round trip (pad %d)", pad);
        const auto lower = base32_decode(fuzz::ascii_lower(e));
        FUZZ_CHECK(lower && *lower == x, "base32 lower-case round trip");
        if (pad) FUZZ_CHECK(e.size() % 8 == 0, "padded base32 of length %zu", e.size());
    }
    if (const auto decoded = base32_decode(x)) {
        const std::string bare = base32_encode(*decoded, false);
        const std::string padded = base32_encode(*decoded, true);
        const std::string upper = fuzz::ascii_upper(x);
        FUZZ_CHECK(upper == bare || upper == padded,
                   "'%s' accepted, but the value's spellings are '%s' and '%s'", FUZZ_P(x),
                   FUZZ_P(bare), FUZZ_P(padded));
    }
}

void check_base64(std::string_view x) {
    const std::string e = base64url_encode(x);
    const auto back = base64url_decode(e);
    FUZZ_CHECK(back && *back == x, "base64url round trip");
    for (char c : e)
        FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_',
                   "base64url character %d", c);
    std::string std_form = base64_encode(x);
    FUZZ_CHECK(std_form.size() == (x.size() + 2) / 3 * 4, "base64 length");
    while (!std_form.empty() && std_form.back() == '=') std_form.pop_back();
    for (char& c : std_form) c = c == '+' ? '-' : c == '/' ? '_' : c;
    FUZZ_CHECK(std_form == e, "base64 and base64url disagree");
    if (const auto decoded = base64url_decode(x))
        FUZZ_CHECK(base64url_encode(*decoded) == x, "non-canonical base64url '%s' accepted",
                   FUZZ_P(x));
}

// RFC 3986: unreserved characters stay, every other byte is %XX with upper-case hex digits.
void check_percent(std::string_view x) {
    const std::string e = percent_encode(x);
    std::string decoded;
    for (std::size_t i = 0; i < e.size(); ++i) {
        const char c = e[i];
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            decoded.push_back(c);
            continue;
        }
        FUZZ_CHECK(c == '%' && e.size() - i >= 3,
                   "percent_encode output '%s' has a bare '%c'", FUZZ_P(e), c);
        const auto hex = hex_decode(e.substr(i + 1, 2));
        FUZZ_CHECK(hex && fuzz::ascii_upper(e.substr(i + 1, 2)) == e.substr(i + 1, 2),
                   "bad escape in '%s'", FUZZ_P(e));
        const auto byte = static_cast<unsigned char>((*hex)[0]);
        const bool would_be_unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                                         (byte >= '0' && byte <= '9') || byte == '-' || byte == '.' ||
                                         byte == '_' || byte == '~';
        FUZZ_CHECK(!would_be_unreserved, "unreserved '%c' was escaped", byte);
        decoded.push_back(static_cast<char>(byte));
        i += 2;
    }
    FUZZ_CHECK(decoded == x, "percent_encode does not decode back");
}

// ---- UTF-8 reference ---------------------------------------------------------------------

// The bounds of the code points a sequence can still reach once its first `n` bytes are
// fixed (the rest being any continuation bytes); nullopt if they are not a prefix of any
// n-or-more-byte pattern.
struct Prefix {
    std::size_t length;  // the sequence length the lead byte announces (2..4)
    std::uint32_t lo, hi;
};

std::optional<Prefix> prefix_bounds(std::string_view s, std::size_t pos, std::size_t n) {
    const auto lead = static_cast<std::uint8_t>(s[pos]);
    std::size_t length;
    std::uint32_t bits;
    if ((lead & 0xE0) == 0xC0) length = 2, bits = lead & 0x1F;
    else if ((lead & 0xF0) == 0xE0) length = 3, bits = lead & 0x0F;
    else if ((lead & 0xF8) == 0xF0) length = 4, bits = lead & 0x07;
    else return std::nullopt;
    if (n > length) return std::nullopt;
    std::uint32_t value = bits;
    for (std::size_t i = 1; i < n; ++i) {
        const auto b = static_cast<std::uint8_t>(s[pos + i]);
        if ((b & 0xC0) != 0x80) return std::nullopt;
        value = (value << 6) | (b & 0x3F);
    }
    const std::size_t free_bits = 6 * (length - n);
    return Prefix{length, value << free_bits, (value << free_bits) | ((1u << free_bits) - 1)};
}

// Does [lo, hi] contain a scalar value that needs exactly `length` bytes?
bool reachable(std::size_t length, std::uint32_t lo, std::uint32_t hi) {
    const std::uint32_t min = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000;
    const std::uint32_t max = length == 2 ? 0x7FF : length == 3 ? 0xFFFF : 0x10FFFF;
    lo = std::max(lo, min);
    hi = std::min(hi, max);
    if (lo > hi) return false;
    return lo < 0xD800 || hi > 0xDFFF;  // not only surrogates
}

// Length of the well-formed sequence at pos, or 0.
std::size_t ref_sequence(std::string_view s, std::size_t pos) {
    if (pos >= s.size()) return 0;
    if (static_cast<std::uint8_t>(s[pos]) < 0x80) return 1;
    const auto p = prefix_bounds(s, pos, 1);
    if (!p || pos + p->length > s.size()) return 0;
    const auto full = prefix_bounds(s, pos, p->length);
    return full && full->lo == full->hi && reachable(p->length, full->lo, full->hi) ? p->length : 0;
}

// The longest prefix at pos of some well-formed sequence (at least 1): what one U+FFFD replaces.
std::size_t ref_maximal_subpart(std::string_view s, std::size_t pos) {
    std::size_t best = 1;
    for (std::size_t n = 2; n <= 4 && pos + n <= s.size(); ++n) {
        const auto p = prefix_bounds(s, pos, n);
        if (!p || !reachable(p->length, p->lo, p->hi)) break;
        best = n;
    }
    // A lead byte alone must itself be able to start something.
    if (best == 1) return 1;
    return best;
}

std::string ref_sanitize(std::string_view s) {
    std::string out;
    for (std::size_t pos = 0; pos < s.size();) {
        const std::size_t n = ref_sequence(s, pos);
        if (n) {
            out.append(s.substr(pos, n));
            pos += n;
        } else {
            out += "\xEF\xBF\xBD";
            pos += ref_maximal_subpart(s, pos);
        }
    }
    return out;
}

bool ref_valid(std::string_view s) {
    for (std::size_t pos = 0; pos < s.size();) {
        const std::size_t n = ref_sequence(s, pos);
        if (!n) return false;
        pos += n;
    }
    return true;
}

void check_utf8(std::string_view x) {
    const bool valid = is_valid_utf8(x);
    FUZZ_CHECK(valid == ref_valid(x), "is_valid_utf8('%s') = %d", FUZZ_P(x), valid);
    for (std::size_t pos = 0; pos <= x.size() && pos < 64; ++pos)
        FUZZ_CHECK(utf8_sequence_length(x, pos) == ref_sequence(x, pos),
                   "utf8_sequence_length('%s', %zu) = %zu, expected %zu", FUZZ_P(x), pos,
                   utf8_sequence_length(x, pos), ref_sequence(x, pos));
    const std::string clean = sanitize_utf8(x);
    FUZZ_CHECK(clean == ref_sanitize(x), "sanitize_utf8('%s') = '%s', expected '%s'", FUZZ_P(x),
               FUZZ_P(clean), FUZZ_P(ref_sanitize(x)));
    FUZZ_CHECK(is_valid_utf8(clean), "sanitize_utf8 output is not valid");
    if (valid) FUZZ_CHECK(clean == x, "sanitize_utf8 changed valid text");
    FUZZ_CHECK(sanitize_utf8(clean) == clean, "sanitize_utf8 is not idempotent");
}

// ---- JSON ---------------------------------------------------------------------------------

std::optional<std::string> read_json_string(const std::string& text) {
    json_error_t err;
    std::unique_ptr<json_t, void (*)(json_t*)> v(
        json_loadb(text.data(), text.size(), JSON_DECODE_ANY | JSON_ALLOW_NUL, &err), json_decref);
    if (!json_is_string(v.get())) return std::nullopt;
    return std::string(json_string_value(v.get()), json_string_length(v.get()));
}

void check_json(std::string_view x) {
    const std::string clean = sanitize_utf8(x);
    const std::string quoted = json_quote(x);
    for (unsigned char c : quoted)
        FUZZ_CHECK(c >= 0x20, "json_quote output holds the control byte 0x%02x", c);
    const auto back = read_json_string(quoted);
    FUZZ_CHECK(back && *back == clean, "json_quote('%s') = %s does not read back", FUZZ_P(x),
               FUZZ_P(quoted));

    JsonObject object;
    object.set("status", "ERROR").set("user", x).set("n", 1);
    const std::string line = object.dump();
    for (unsigned char c : line) FUZZ_CHECK(c >= 0x20, "JsonObject output holds a control byte");
    const std::string expected = "{\"status\":\"ERROR\",\"user\":" + quoted + ",\"n\":1}";
    FUZZ_CHECK(line == expected, "JsonObject dump %s, expected %s", FUZZ_P(line), FUZZ_P(expected));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view x = fuzz::as_view(data, size);
    check_hex(x);
    check_base32(x);
    check_base64(x);
    check_percent(x);
    check_utf8(x);
    check_json(x);
    return 0;
}
