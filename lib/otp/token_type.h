// The token type field of a users file line: HOTP, HOTP/E, HOTP/E/8, HOTP/T30, HOTP/T60/6,
// any HOTP/Tnn, each optionally with -SHA1/-SHA256/-SHA512 (e.g. HOTP/T30/8-SHA256).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "crypto/hash_algorithm.h"

namespace otp {

enum class TokenKind { counter, time };

struct TokenType {
    TokenKind kind = TokenKind::counter;
    unsigned digits = 0;        // 0: the type does not say; OTPDigits decides
    unsigned step_seconds = 0;  // time tokens only; always set for them by the grammar
    HashAlgorithm algorithm = HashAlgorithm::sha1;
};

// Returns std::nullopt and sets *error to a human-readable reason on an unknown/invalid type.
std::optional<TokenType> parse_token_type(std::string_view text, std::string* error);

// The canonical spelling (what parse_token_type accepts and round-trips).
std::string format_token_type(const TokenType& type);

}  // namespace otp
