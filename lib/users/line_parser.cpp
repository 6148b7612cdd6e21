// Parsing users-file lines (SPEC §4) in the two layouts mod_otp shares with other programs.
//
// Facts these parsers rely on, established from the real programs (not copied from them):
//
// oath layout (OATH Toolkit liboath usersfile.c, used by pam_oath; checked against liboath
// 2.6.7-3.1+deb12u1 by running oath_authenticate_usersfile):
//   TYPE USER PIN SECRET [COUNTER [LASTOTP [LASTTIME]]], separated by " \t\r\n".
//   - TYPE is compared with strcmp (case-sensitive); liboath silently skips unknown types, we
//     refuse them (SPEC: a configuration error).
//   - COUNTER is the counter of the last accepted code. A line without COUNTER accepts
//     counters 0..window; after an acceptance liboath writes COUNTER = that counter and
//     LASTOTP = that code and refuses a code equal to LASTOTP as a replay, so the next usable
//     counter is COUNTER+1 once LASTOTP is present, else COUNTER.
//
// mod_authn_otp layout (archiecobbs/mod-authn-otp, mod_authn_otp.c and UsersFile.md):
//   TYPE USER PIN KEY [OFFSET [FAILURES] | OFFSET LASTOTP LASTTIME [LASTIP]
//                      | OFFSET FAILURES LASTOTP LASTTIME LASTIP]
//   i.e. after OFFSET the number of fields tells which of its historical layouts a line uses:
//   0: none; 1: FAILURES; 2: LASTOTP LASTTIME; 3: LASTOTP LASTTIME LASTIP;
//   4: FAILURES LASTOTP LASTTIME LASTIP (what current versions write). Whitespace is
//   " \t\r\n\v". OFFSET is the next expected counter for event tokens and the time-step drift
//   for time tokens. TYPE is ALGORITHM[/E|/Tnn[/DIGITS]] with ALGORITHM "HOTP" (any case) or
//   "MOTP" (not supported here), plus the legacy aliases "E" (HOTP/E) and "T" (HOTP/T30).
//   Lines starting with '#' and blank lines are comments.
//
// How each program writes a line back is in users_writeback.cpp.
#include "users/line_parser.h"

#include <algorithm>
#include <cstring>
#include <ctime>
#include <limits>
#include <optional>

#include "util/ascii.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/numbers.h"

namespace otp::users_detail {
namespace {

// Both liboath (" \t\r\n") and mod_authn_otp (" \t\r\n\v") split on these.
bool is_separator(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The token type is shown in errors to help the administrator, unless it could be key
// material (a line whose fields are shifted might start with the secret).
std::string quoted_type_if_safe(std::string_view text) {
    bool key_like = text.size() >= 12;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            key_like = false;
    if (key_like || text.size() > 24) return "";
    std::string out = " \"";
    for (char c : text) out.push_back(c >= 0x21 && c <= 0x7e ? c : '?');
    return out + "\"";
}

// mod_authn_otp spellings: "E" and "T" aliases, algorithm name in any case.
std::string normalize_authn_otp_type(std::string_view text) {
    if (text == "E") return "HOTP/E";
    if (text == "T") return "HOTP/T30";
    const std::size_t slash = text.find('/');
    if (equals_ignoring_case(text.substr(0, slash), "HOTP"))
        return "HOTP" + std::string(slash == std::string_view::npos ? "" : text.substr(slash));
    return std::string(text);
}

bool parse_type_field(std::string_view text, UsersFileLayout layout, TypeCache* cache,
                      TokenType* out, std::string* reason) {
    if (const TokenType* known = cache->find(text)) {
        *out = *known;
        return true;
    }
    const std::string spelled = layout == UsersFileLayout::mod_authn_otp
                                    ? normalize_authn_otp_type(text)
                                    : std::string(text);
    std::string why;
    const std::optional<TokenType> type = parse_token_type(spelled, &why);
    if (!type) return set_error(reason, "TYPE field" + quoted_type_if_safe(text) + ": " + why);
    cache->add(text, *type);
    *out = *type;
    return true;
}

// Never quotes the field: it is the key.
bool check_secret(std::string_view text, std::string* reason) {
    if (!is_hex(text)) return set_error(reason, "SECRET field is not hexadecimal");
    if (text.size() % 2 != 0)
        return set_error(reason, "SECRET field has an odd number of hex digits");
    if (text.size() / 2 > kMaxSecretBytes)
        return set_error(
            reason, "SECRET field is longer than " + std::to_string(kMaxSecretBytes) + " bytes");
    return true;
}

// Up to 19 digits after the optional '-': a longer field is refused even when it is only
// leading zeros, as it always was.
bool parse_int64(std::string_view text, bool allow_negative, std::int64_t* out) {
    const bool negative = allow_negative && !text.empty() && text[0] == '-';
    if (negative) text.remove_prefix(1);
    if (text.size() > 19) return false;
    const std::optional<std::uint64_t> value = parse_decimal<std::uint64_t>(text);
    if (!value || *value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return false;
    *out = negative ? -static_cast<std::int64_t>(*value) : static_cast<std::int64_t>(*value);
    return true;
}

bool parse_counter_field(std::string_view text, UsersFileLayout layout, const TokenType& type,
                         std::int64_t* out, std::string* reason) {
    // mod_authn_otp stores a signed drift for time tokens; everything else is a count.
    const bool signed_ok = layout == UsersFileLayout::mod_authn_otp && type.kind == TokenKind::time;
    if (!parse_int64(text, signed_ok, out))
        return set_error(reason, signed_ok
                                     ? "COUNTER field (time offset) is not a number"
                                     : "COUNTER field is not a non-negative number (or too large)");
    return true;
}

// As liboath and mod_authn_otp check it: strptime must consume the whole field.
bool check_last_time(std::string_view text, std::string* reason) {
    char buf[64];
    bool ok = text.size() < sizeof buf;
    if (ok) {
        std::memcpy(buf, text.data(), text.size());
        buf[text.size()] = '\0';
        struct tm tm;
        std::memset(&tm, 0, sizeof tm);
        const char* end = strptime(buf, kTimeFormat, &tm);
        ok = end != nullptr && *end == '\0';
    }
    return ok || set_error(reason, "LASTTIME field is not a time like 2009-06-12T17:52:32L");
}

bool check_short_field(std::string_view text, const char* name, std::string* reason) {
    if (text.size() <= kMaxShortField) return true;
    return set_error(reason, std::string(name) + " field is longer than " +
                                 std::to_string(kMaxShortField) + " bytes");
}

bool parse_oath_tail(const Fields& f, ParsedLine* out, std::string* reason) {
    if (f.overflow || f.count > 7)
        return set_error(reason,
                         "too many fields (at most 7: TYPE USER PIN SECRET COUNTER LASTOTP "
                         "LASTTIME)");
    if (f.count >= 6) {
        out->last_otp = f.at[5];
        if (!check_short_field(out->last_otp, "LASTOTP", reason)) return false;
    }
    return f.count < 7 || check_last_time(f.at[6], reason);
}

bool parse_authn_otp_tail(const Fields& f, ParsedLine* out, std::string* reason) {
    if (f.overflow || f.count > 9)
        return set_error(reason,
                         "too many fields (at most 9: TYPE USER PIN KEY OFFSET FAILURES "
                         "LASTOTP LASTTIME LASTIP)");
    if (f.count <= 5) return true;
    const std::size_t extra = f.count - 5;
    std::size_t i = 5;
    if (extra == 1 || extra == 4) {  // the failure counter comes first in these two layouts
        std::int64_t failures = 0;
        if (!parse_int64(f.at[i++], false, &failures))
            return set_error(reason, "FAILURES field is not a non-negative number");
    }
    if (extra >= 2) {
        out->last_otp = f.at[i++];
        if (!check_short_field(out->last_otp, "LASTOTP", reason)) return false;
        if (!check_last_time(f.at[i++], reason)) return false;
    }
    if (extra >= 3) out->last_ip = f.at[i++];
    return true;
}

LineKind line_error(std::string* reason, const char* text) {
    set_error(reason, text);
    return LineKind::error;
}

}  // namespace

Fields split_fields(std::string_view line) {
    Fields fields;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_separator(line[i])) ++i;
        if (i == line.size()) break;
        const std::size_t start = i;
        while (i < line.size() && !is_separator(line[i])) ++i;
        if (fields.count == kMaxFields) {
            fields.overflow = true;
            break;
        }
        fields.at[fields.count++] = line.substr(start, i - start);
    }
    return fields;
}

bool is_comment_or_blank(const Fields& fields) {
    return fields.count == 0 || fields.at[0][0] == '#';
}

const TokenType* TypeCache::find(std::string_view text) const {
    for (std::size_t i = 0; i < used_; ++i)
        if (entries_[i].text == text) return &entries_[i].type;
    return nullptr;
}

void TypeCache::add(std::string_view text, const TokenType& type) {
    Entry& e = entries_[next_];
    e.text.assign(text);
    e.type = type;
    next_ = (next_ + 1) % entries_.size();
    used_ = std::min(used_ + 1, entries_.size());
}

LineKind parse_line(std::string_view line, UsersFileLayout layout, TypeCache* cache,
                    ParsedLine* out, std::string* reason) {
    // pam_oath and oathtool read lines as C strings: for them a line ends at a NUL byte, so
    // "a\0b" would be user "a" there and "a\0b" here. Refused anywhere, comments included,
    // so that both programs always see the same file.
    if (!line.empty() && std::memchr(line.data(), '\0', line.size()))
        return line_error(reason, "NUL byte (a users file is text; pam_oath would read this "
                                  "line differently)");
    const Fields f = split_fields(line);
    if (is_comment_or_blank(f)) return LineKind::skip;
    *out = ParsedLine();
    out->type_text = f.at[0];
    if (!parse_type_field(f.at[0], layout, cache, &out->type, reason)) return LineKind::error;
    if (f.count < 2) return line_error(reason, "missing USER field");
    out->user = f.at[1];
    if (!check_short_field(out->user, "USER", reason)) return LineKind::error;
    if (f.count < 3) return line_error(reason, "missing PIN field");
    out->pin_text = f.at[2];
    if (out->pin_text == "-")
        out->pin_mode = PinMode::none;
    else if (out->pin_text == "+")
        out->pin_mode = PinMode::external;
    else
        out->pin_mode = PinMode::pin;
    if (!check_short_field(out->pin_text, "PIN", reason)) return LineKind::error;
    if (f.count < 4) return line_error(reason, "missing SECRET field");
    out->secret_text = f.at[3];
    if (!check_secret(out->secret_text, reason)) return LineKind::error;
    if (f.count >= 5) {
        if (!parse_counter_field(f.at[4], layout, out->type, &out->counter, reason))
            return LineKind::error;
        out->has_counter = true;
    }
    const bool tail_ok = layout == UsersFileLayout::oath ? parse_oath_tail(f, out, reason)
                                                         : parse_authn_otp_tail(f, out, reason);
    return tail_ok ? LineKind::token : LineKind::error;
}

std::string located(const std::string& name, unsigned line_number, const std::string& reason) {
    return name + ":" + std::to_string(line_number) + ": " + reason;
}

TokenRecord make_token(const ParsedLine& parsed, unsigned line_number) {
    TokenRecord token;
    token.type = parsed.type;
    token.user.assign(parsed.user);
    token.pin_mode = parsed.pin_mode;
    if (parsed.pin_mode == PinMode::pin) token.pin.assign(parsed.pin_text);
    hex_decode_append(parsed.secret_text, &token.secret);
    token.has_counter = parsed.has_counter;
    token.counter = parsed.counter;
    token.last_otp.assign(parsed.last_otp);
    token.line_number = line_number;
    return token;
}

bool find_line(std::string_view text, unsigned line_number, LineSpan* span) {
    LineCursor cursor(text);
    for (unsigned n = 1; cursor.next(span); ++n)
        if (n == line_number) return true;
    return false;
}

}  // namespace otp::users_detail

namespace otp {

std::uint64_t TokenRecord::next_counter(UsersFileLayout layout) const {
    if (!has_counter || counter < 0) return 0;
    const std::uint64_t value = static_cast<std::uint64_t>(counter);
    if (layout == UsersFileLayout::oath && !last_otp.empty()) return value + 1;
    return value;
}

}  // namespace otp
