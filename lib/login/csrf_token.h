// CSRF tokens for the page's plain form post (SPEC §3.2: "Form posts need the CSRF token from
// the page"). The token is derived from the login attempt, so it needs no storage of its own:
// token = base64url(HMAC-SHA256(key, "csrf" || attempt_id)), 43 characters.
//
// A cross-site page cannot read the token (same-origin policy) and cannot compute it (it does
// not know the key), so a forged form post carrying someone's attempt cookie is refused.
#pragma once

#include <string>
#include <string_view>

namespace otp {

// Empty when key or attempt_id is empty (there is nothing to bind the token to).
std::string make_csrf_token(std::string_view key, std::string_view attempt_id);

// Constant-time comparison with the expected token; false for an empty key, attempt id or
// token.
bool check_csrf_token(std::string_view key, std::string_view attempt_id, std::string_view token);

}  // namespace otp
