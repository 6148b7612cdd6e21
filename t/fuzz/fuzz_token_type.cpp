// The token type field (SPEC §4, lib/otp/token_type.h): the input is one TYPE field.
//
// Properties:
//  - parse_token_type accepts exactly the grammar of token_type.cpp's header comment
//    (checked against an independent implementation), with the same meaning;
//  - accepted types respect the limits: digits 0 (unspecified), 6, 7 or 8; time tokens have a
//    step of 1..3600 s, counter tokens none;
//  - format_token_type gives a spelling that parses back to the same type and is a fixed
//    point, and the input is one of the few spellings of that type (canonical, with "-SHA1",
//    or "HOTP/E" for "HOTP"): every type has one meaning and a bounded set of spellings;
//  - a refusal sets a reason, and the reason never repeats a key-like input (a shifted users
//    file line may put the secret in the TYPE field).
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "otp/token_type.h"

using namespace otp;

namespace {

bool same(const TokenType& a, const TokenType& b) {
    return a.kind == b.kind && a.digits == b.digits && a.step_seconds == b.step_seconds &&
           a.algorithm == b.algorithm;
}

// TYPE  := BASE [ "-" ALG ];  ALG := "SHA1" | "SHA256" | "SHA512"
// BASE  := "HOTP" | "HOTP/E" | "HOTP/E/" DIGITS | "HOTP/T" STEP [ "/" DIGITS ]
// DIGITS:= "6" | "7" | "8";   STEP := 1..3600 in decimal, no leading zero
std::optional<TokenType> reference(std::string_view text) {
    TokenType t;
    for (const auto& [suffix, alg] : {std::pair{"-SHA1", HashAlgorithm::sha1},
                                      std::pair{"-SHA256", HashAlgorithm::sha256},
                                      std::pair{"-SHA512", HashAlgorithm::sha512}}) {
        const std::string_view s(suffix);
        if (text.size() >= s.size() && text.substr(text.size() - s.size()) == s) {
            t.algorithm = alg;
            text.remove_suffix(s.size());
            break;
        }
    }
    if (text == "HOTP") return t;
    if (text.substr(0, 5) != "HOTP/") return std::nullopt;
    text.remove_prefix(5);
    auto digits = [&t](std::string_view d) {
        if (d.size() != 1 || d[0] < '6' || d[0] > '8') return false;
        t.digits = static_cast<unsigned>(d[0] - '0');
        return true;
    };
    if (text == "E") return t;
    if (text.substr(0, 2) == "E/") return digits(text.substr(2)) ? std::optional(t) : std::nullopt;
    if (text.empty() || text[0] != 'T') return std::nullopt;
    text.remove_prefix(1);
    const std::size_t slash = text.find('/');
    const std::string_view step = text.substr(0, slash);
    if (step.empty() || step.size() > 4 || step[0] == '0') return std::nullopt;
    unsigned value = 0;
    for (char c : step) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value < 1 || value > 3600) return std::nullopt;
    t.kind = TokenKind::time;
    t.step_seconds = value;
    if (slash != std::string_view::npos && !digits(text.substr(slash + 1))) return std::nullopt;
    return t;
}

bool key_like(std::string_view s) {
    if (s.size() < 12) return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_view(data, size);
    std::string error;
    const std::optional<TokenType> type = parse_token_type(text, &error);
    const std::optional<TokenType> expected = reference(text);

    FUZZ_CHECK(type.has_value() == expected.has_value(), "'%s' %s, the grammar says %s",
               FUZZ_P(text), type ? "accepted" : "refused", expected ? "accept" : "refuse");
    if (!type) {
        FUZZ_CHECK(!error.empty(), "refused '%s' without a reason", FUZZ_P(text));
        FUZZ_CHECK(!key_like(text) || !fuzz::contains(error, text),
                   "the reason repeats the key-like input '%s'", FUZZ_P(text));
        return 0;
    }
    FUZZ_CHECK(same(*type, *expected), "'%s' read with another meaning", FUZZ_P(text));
    FUZZ_CHECK(type->digits == 0 || (type->digits >= 6 && type->digits <= 8), "digits %u",
               type->digits);
    if (type->kind == TokenKind::time)
        FUZZ_CHECK(type->step_seconds >= 1 && type->step_seconds <= 3600, "step %u",
                   type->step_seconds);
    else
        FUZZ_CHECK(type->step_seconds == 0, "counter token with a step");

    const std::string canonical = format_token_type(*type);
    std::string again_error;
    const std::optional<TokenType> again = parse_token_type(canonical, &again_error);
    FUZZ_CHECK(again && same(*again, *type), "format_token_type gave '%s', which reads back "
               "differently (%s)", canonical.c_str(), again_error.c_str());
    FUZZ_CHECK(format_token_type(*again) == canonical, "format is not a fixed point");

    // The spellings of one type: canonical, "-SHA1" spelled out, "HOTP/E" for plain "HOTP".
    std::string base = canonical.substr(0, canonical.find('-'));
    const std::string suffix = canonical.substr(base.size());
    std::vector<std::string> spellings{canonical};
    if (type->algorithm == HashAlgorithm::sha1) spellings.push_back(base + "-SHA1");
    if (base == "HOTP") {
        spellings.push_back("HOTP/E" + suffix);
        if (type->algorithm == HashAlgorithm::sha1) spellings.push_back("HOTP/E-SHA1");
    }
    bool known = false;
    for (const std::string& s : spellings) known |= s == text;
    FUZZ_CHECK(known, "'%s' is accepted but is not a spelling of '%s'", FUZZ_P(text),
               canonical.c_str());
    return 0;
}
