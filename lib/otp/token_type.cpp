// Token type grammar (case-sensitive, like liboath's parse_type, which uses strcmp):
//
//   TYPE  := BASE [ "-" ALG ]
//   BASE  := "HOTP" | "HOTP/E" | "HOTP/E/" DIGITS | "HOTP/T" STEP [ "/" DIGITS ]
//   ALG   := "SHA1" | "SHA256" | "SHA512"
//   DIGITS:= "6" | "7" | "8"
//   STEP  := 1..3600 in decimal, no leading zero
//
// liboath itself knows only HOTP, HOTP/E, HOTP/E/6..8, HOTP/T30[/6..8] and HOTP/T60[/6..8] and
// silently skips lines with any other type; the other steps and the algorithm suffix are our
// extension for authenticator apps (SPEC §4).
#include "otp/token_type.h"

#include <cstdint>

#include "util/ascii.h"
#include "util/error.h"
#include "util/numbers.h"

namespace otp {
namespace {

constexpr unsigned kMaxStepSeconds = 3600;

const char kExpected[] =
    "expected HOTP, HOTP/E, HOTP/E/6..8, HOTP/Tnn or HOTP/Tnn/6..8, optionally followed by "
    "-SHA1, -SHA256 or -SHA512";

bool parse_algorithm(std::string_view name, HashAlgorithm* out, std::string* error) {
    if (name == "SHA1")
        *out = HashAlgorithm::sha1;
    else if (name == "SHA256")
        *out = HashAlgorithm::sha256;
    else if (name == "SHA512")
        *out = HashAlgorithm::sha512;
    else
        return set_error(error, "unknown algorithm suffix (expected -SHA1, -SHA256 or -SHA512)");
    return true;
}

bool parse_digits(std::string_view text, unsigned* out, std::string* error) {
    if (text.size() != 1 || text[0] < '6' || text[0] > '8')
        return set_error(error, "number of digits must be 6, 7 or 8");
    *out = static_cast<unsigned>(text[0] - '0');
    return true;
}

bool parse_step(std::string_view text, unsigned* out, std::string* error) {
    // No leading zero: a type has one spelling per step.
    const std::optional<unsigned> value =
        text.size() <= 4 && !starts_with(text, "0") ? parse_decimal<unsigned>(text) : std::nullopt;
    if (!value || *value < 1 || *value > kMaxStepSeconds)
        return set_error(error, "time step must be a number of seconds from 1 to " +
                                    std::to_string(kMaxStepSeconds));
    *out = *value;
    return true;
}

// "E", "E/8", "T30", "T30/8": what follows "HOTP/".
bool parse_counter_info(std::string_view rest, TokenType* type, std::string* error) {
    if (rest.empty()) return set_error(error, std::string("unknown token type; ") + kExpected);
    const std::size_t slash = rest.find('/');
    const std::string_view info = rest.substr(0, slash);
    if (slash != std::string_view::npos &&
        !parse_digits(rest.substr(slash + 1), &type->digits, error))
        return false;
    if (info.empty()) return set_error(error, std::string("unknown token type; ") + kExpected);
    if (info == "E") {
        type->kind = TokenKind::counter;
        return true;
    }
    if (info[0] == 'T') {
        type->kind = TokenKind::time;
        return parse_step(info.substr(1), &type->step_seconds, error);
    }
    if (info == "e" || info[0] == 't')
        return set_error(error,
                         "token types are case-sensitive (write HOTP, E and T in upper case)");
    return set_error(error, std::string("unknown token type; ") + kExpected);
}

// Names that are real token kinds elsewhere deserve a clearer message than "unknown".
bool explain_foreign_type(std::string_view base, std::string* error) {
    const std::string_view algorithm = base.substr(0, base.find('/'));
    if (equals_ignoring_case(algorithm, "MOTP"))
        return set_error(error, "Mobile-OTP (MOTP) tokens are not supported");
    if (equals_ignoring_case(algorithm, "OCRA"))
        return set_error(error, "OCRA tokens are not supported");
    if (equals_ignoring_case(algorithm, "HOTP"))
        return set_error(error,
                         "token types are case-sensitive (write HOTP, E and T in upper case)");
    return set_error(error, std::string("unknown token type; ") + kExpected);
}

}  // namespace

std::optional<TokenType> parse_token_type(std::string_view text, std::string* error) {
    TokenType type;
    std::string_view base = text;
    const std::size_t dash = text.rfind('-');
    if (dash != std::string_view::npos) {
        if (!parse_algorithm(text.substr(dash + 1), &type.algorithm, error)) return std::nullopt;
        base = text.substr(0, dash);
    }
    if (base == "HOTP") return type;  // counter based, digits decided by OTPDigits
    if (!starts_with(base, "HOTP/")) {
        explain_foreign_type(base, error);
        return std::nullopt;
    }
    if (!parse_counter_info(base.substr(5), &type, error)) return std::nullopt;
    return type;
}

std::string format_token_type(const TokenType& type) {
    std::string out = "HOTP";
    if (type.kind == TokenKind::time) {
        out += "/T" + std::to_string(type.step_seconds);
        if (type.digits != 0) out += "/" + std::to_string(type.digits);
    } else if (type.digits != 0) {
        out += "/E/" + std::to_string(type.digits);
    }
    if (type.algorithm != HashAlgorithm::sha1) {
        out += "-";
        out += hash_algorithm_name(type.algorithm);
    }
    return out;
}

}  // namespace otp
