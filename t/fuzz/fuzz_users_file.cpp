// The users file parser (SPEC §4), both layouts: the input is the whole file text, parsed with
// UsersIndex::parse as an oath file and as a mod_authn_otp file.
//
// Properties, checked against an independent split of the text into lines and fields:
//  - a successful parse indexes exactly the token lines (not blank, not '#'): token_count,
//    user_count, and for every user the tokens in file order with their line numbers;
//  - every token matches its line: user, PIN mode and PIN, secret == hex of the SECRET field
//    (at most 64 bytes), COUNTER, LASTOTP at the layout's position, the type as
//    parse_token_type reads the TYPE field; documented limits (digits 0/6/7/8, time steps
//    1..3600, USER/PIN/LASTOTP <= 255 bytes, negative counters only as mod_authn_otp drift);
//  - names that cannot be a field ("", "a b") have no tokens;
//  - a NUL byte anywhere, comments included, fails the parse (pam_oath reads lines as C
//    strings and would see another file);
//  - a failure names "<file>:<line>: " with a token line or a line holding a NUL, the text
//    before that line parses,
//    that line alone fails with the same reason, and the message contains no key-like field
//    of the line (SPEC: errors never contain the secret).
#include <charconv>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "otp/token_type.h"
#include "users/users_file.h"
#include "util/ascii.h"
#include "util/codec.h"

using namespace otp;

namespace {

const std::string kName = "fuzz.users";

// The separators liboath (" \t\r\n"), mod_authn_otp (" \t\r\n\v") and lib/ split fields on.
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> fields_of(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && is_space(line[i])) ++i;
        const std::size_t start = i;
        while (i < line.size() && !is_space(line[i])) ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
    return out;
}

struct Line {
    unsigned number;
    std::vector<std::string_view> fields;
};

std::optional<TokenType> expected_type(std::string_view text, UsersFileLayout layout) {
    std::string spelled(text);
    if (layout == UsersFileLayout::mod_authn_otp) {
        // mod_authn_otp: aliases "E" and "T", and the algorithm name in any case.
        if (text == "E") spelled = "HOTP/E";
        else if (text == "T") spelled = "HOTP/T30";
        else if (equals_ignoring_case(text.substr(0, text.find('/')), "HOTP"))
            spelled = "HOTP" + std::string(text.substr(std::min(text.size(), std::size_t{4})));
    }
    std::string error;
    return parse_token_type(spelled, &error);
}

bool same_type(const TokenType& a, const TokenType& b) {
    return a.kind == b.kind && a.digits == b.digits && a.step_seconds == b.step_seconds &&
           a.algorithm == b.algorithm;
}

std::string_view expected_last_otp(const std::vector<std::string_view>& f, UsersFileLayout layout) {
    if (layout == UsersFileLayout::oath) return f.size() >= 6 ? f[5] : std::string_view();
    // mod_authn_otp: after OFFSET, 2 or 3 extra fields start with LASTOTP, 4 with FAILURES.
    const std::size_t extra = f.size() > 5 ? f.size() - 5 : 0;
    if (extra == 2 || extra == 3) return f[5];
    if (extra == 4) return f[6];
    return {};
}

void check_token(const TokenRecord& t, const Line& line, UsersFileLayout layout) {
    const auto& f = line.fields;
    FUZZ_CHECK(f.size() >= 4, "line %u has a token but only %zu fields", line.number, f.size());
    FUZZ_CHECK(f.size() <= (layout == UsersFileLayout::oath ? 7u : 9u),
               "line %u: %zu fields accepted", line.number, f.size());
    FUZZ_CHECK(t.user == f[1], "user '%s' vs field '%s'", FUZZ_P(t.user), FUZZ_P(f[1]));
    FUZZ_CHECK(t.user.size() <= 255, "user of %zu bytes accepted", t.user.size());

    if (f[2] == "-") {
        FUZZ_CHECK(t.pin_mode == PinMode::none && t.pin.empty(), "PIN '-' is not 'none'");
    } else if (f[2] == "+") {
        FUZZ_CHECK(t.pin_mode == PinMode::external && t.pin.empty(), "PIN '+' is not 'external'");
    } else {
        FUZZ_CHECK(t.pin_mode == PinMode::pin && t.pin == f[2], "PIN '%s' read as '%s'",
                   FUZZ_P(f[2]), FUZZ_P(t.pin));
        FUZZ_CHECK(t.pin.size() <= 255, "PIN of %zu bytes accepted", t.pin.size());
    }

    const std::optional<std::string> secret = hex_decode(f[3]);
    FUZZ_CHECK(secret.has_value(), "line %u: SECRET '%s' is not hex but was accepted",
               line.number, FUZZ_P(f[3]));
    FUZZ_CHECK(t.secret == *secret, "line %u: secret bytes differ from the SECRET field",
               line.number);
    FUZZ_CHECK(t.secret.size() <= 64, "secret of %zu bytes accepted", t.secret.size());

    const std::optional<TokenType> type = expected_type(f[0], layout);
    FUZZ_CHECK(type.has_value(), "line %u: TYPE '%s' accepted by the file but not by "
               "parse_token_type", line.number, FUZZ_P(f[0]));
    FUZZ_CHECK(same_type(t.type, *type), "line %u: TYPE '%s' read differently", line.number,
               FUZZ_P(f[0]));
    FUZZ_CHECK(t.type.digits == 0 || (t.type.digits >= 6 && t.type.digits <= 8), "digits %u",
               t.type.digits);
    if (t.type.kind == TokenKind::time)
        FUZZ_CHECK(t.type.step_seconds >= 1 && t.type.step_seconds <= 3600, "step %u",
                   t.type.step_seconds);

    FUZZ_CHECK(t.has_counter == (f.size() >= 5), "has_counter wrong on line %u", line.number);
    if (t.has_counter) {
        std::int64_t value = 0;
        const auto [end, ec] = std::from_chars(f[4].data(), f[4].data() + f[4].size(), value);
        FUZZ_CHECK(ec == std::errc() && end == f[4].data() + f[4].size() && value == t.counter,
                   "COUNTER '%s' read as %lld", FUZZ_P(f[4]), static_cast<long long>(t.counter));
        const bool drift = layout == UsersFileLayout::mod_authn_otp && t.type.kind == TokenKind::time;
        FUZZ_CHECK(drift || (t.counter >= 0 && f[4][0] != '-'),
                   "negative or signed COUNTER '%s' accepted", FUZZ_P(f[4]));
    } else {
        FUZZ_CHECK(t.counter == 0, "counter %lld without a COUNTER field",
                   static_cast<long long>(t.counter));
    }

    FUZZ_CHECK(t.last_otp == expected_last_otp(f, layout), "LASTOTP '%s' on line %u",
               FUZZ_P(t.last_otp), line.number);
    FUZZ_CHECK(t.last_otp.size() <= 255, "LASTOTP of %zu bytes", t.last_otp.size());
}

bool key_like(std::string_view field) {
    if (field.size() < 12) return false;
    bool digit = false;
    for (char c : field) {
        const bool d = c >= '0' && c <= '9';
        if (!(d || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
        digit |= d;
    }
    return digit;
}

void check_layout(std::string_view text, UsersFileLayout layout, const std::vector<Line>& tokens,
                  const std::vector<std::string_view>& raw_lines) {
    std::string error;
    const std::unique_ptr<UsersIndex> index = UsersIndex::parse(text, kName, layout, &error);

    if (index) {
        FUZZ_CHECK(text.find('\0') == std::string_view::npos, "a file with a NUL byte parsed");
        FUZZ_CHECK(index->layout() == layout, "layout");
        FUZZ_CHECK(index->token_count() == tokens.size(), "%zu tokens indexed, %zu token lines",
                   index->token_count(), tokens.size());
        std::map<std::string_view, std::vector<const Line*>> by_user;
        for (const Line& line : tokens) by_user[line.fields[1]].push_back(&line);
        FUZZ_CHECK(index->user_count() == by_user.size(), "%zu users indexed, %zu expected",
                   index->user_count(), by_user.size());
        for (const auto& [user, lines] : by_user) {
            const std::vector<TokenRecord> got = index->tokens_for(user);
            FUZZ_CHECK(got.size() == lines.size(), "user '%s': %zu tokens, %zu lines",
                       FUZZ_P(user), got.size(), lines.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                FUZZ_CHECK(got[i].line_number == lines[i]->number,
                           "user '%s': token %zu from line %u, expected line %u (file order)",
                           FUZZ_P(user), i, got[i].line_number, lines[i]->number);
                check_token(got[i], *lines[i], layout);
            }
        }
        FUZZ_CHECK(index->tokens_for("").empty(), "tokens for the empty user name");
        FUZZ_CHECK(index->tokens_for("a b").empty(), "tokens for a name with a space");
        return;
    }

    // "<name>:<line>: <reason>"
    FUZZ_CHECK(error.compare(0, kName.size() + 1, kName + ":") == 0, "error '%s'", FUZZ_P(error));
    const char* digits = error.data() + kName.size() + 1;
    unsigned number = 0;
    const auto [end, ec] = std::from_chars(digits, error.data() + error.size(), number);
    FUZZ_CHECK(ec == std::errc() && std::string_view(end, 2) == ": ", "error '%s' has no line",
               FUZZ_P(error));
    const std::string reason(end + 2);
    FUZZ_CHECK(!reason.empty(), "empty reason");
    const Line* bad = nullptr;
    for (const Line& line : tokens)
        if (line.number == number) bad = &line;
    const bool nul_line = number >= 1 && number <= raw_lines.size() &&
                          raw_lines[number - 1].find('\0') != std::string_view::npos;
    FUZZ_CHECK(bad != nullptr || nul_line,
               "error names line %u, which is blank, a comment or absent (%s)", number,
               FUZZ_P(error));
    // (The TYPE field itself is quoted when it does not look like a key; a field that is part
    // of it is therefore not a leak.)
    if (bad)
        for (std::string_view field : bad->fields)
            FUZZ_CHECK(!key_like(field) || fuzz::contains(bad->fields[0], field) ||
                           !fuzz::contains(error, field),
                       "error message quotes the key-like field '%s': %s", FUZZ_P(field),
                       FUZZ_P(error));

    // Errors are local to their line: what comes before parses, the line alone fails alike.
    std::size_t prefix_bytes = 0;
    for (unsigned i = 0; i + 1 < number; ++i) prefix_bytes += raw_lines[i].size() + 1;
    std::string prefix_error;
    FUZZ_CHECK(UsersIndex::parse(text.substr(0, prefix_bytes), kName, layout, &prefix_error),
               "the lines before the failing line %u do not parse alone: %s", number,
               FUZZ_P(prefix_error));
    std::string line_error;
    FUZZ_CHECK(!UsersIndex::parse(raw_lines[number - 1], kName, layout, &line_error) &&
                   line_error == kName + ":1: " + reason,
               "line %u alone: '%s', in the file: '%s'", number, FUZZ_P(line_error),
               FUZZ_P(reason));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_view(data, size);
    const std::vector<std::string_view> raw_lines = fuzz::split(text, '\n');
    std::vector<Line> tokens;
    for (std::size_t i = 0; i < raw_lines.size(); ++i) {
        Line line{static_cast<unsigned>(i + 1), fields_of(raw_lines[i])};
        if (line.fields.empty() || line.fields[0][0] == '#') continue;
        tokens.push_back(std::move(line));
    }
    check_layout(text, UsersFileLayout::oath, tokens, raw_lines);
    check_layout(text, UsersFileLayout::mod_authn_otp, tokens, raw_lines);
    return 0;
}
