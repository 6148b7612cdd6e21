// Base64 (RFC 4648 §4) and base64url (§5) encoders, and a strict base64url decoder.
//
// base64url without padding is what goes into cookies, CSRF tokens and URLs: its alphabet
// needs no escaping there. The decoder is strict because its input comes from clients: a
// value has exactly one accepted spelling, so two different strings never decode alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace otp {

// base64url alphabet ('-', '_'), no '=' padding.
std::string base64url_encode(std::string_view bytes);

// Rejects '=' padding, characters outside the base64url alphabet (including whitespace and
// the '+' '/' of standard base64), impossible lengths (1 mod 4) and non-zero unused bits in
// the last character (non-canonical encodings).
std::optional<std::string> base64url_decode(std::string_view text);

// Standard base64 alphabet with '=' padding, e.g. for CSP 'sha256-…' source expressions.
std::string base64_encode(std::string_view bytes);

}  // namespace otp
