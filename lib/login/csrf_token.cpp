#include "login/csrf_token.h"

#include "crypto/constant_time.h"
#include "crypto/digest.h"
#include "util/base64url.h"

namespace otp {

std::string make_csrf_token(std::string_view key, std::string_view attempt_id) {
    if (key.empty() || attempt_id.empty()) return {};
    // The fixed prefix separates this use of the key from any other HMAC made with it.
    std::string message = "csrf";
    message.append(attempt_id.data(), attempt_id.size());
    const std::string mac = hmac_sha256(key, message);
    if (mac.empty()) return {};
    return base64url_encode(mac);
}

bool check_csrf_token(std::string_view key, std::string_view attempt_id, std::string_view token) {
    if (token.empty()) return false;
    const std::string expected = make_csrf_token(key, attempt_id);
    if (expected.empty()) return false;
    return constant_time_equal(expected, token);
}

}  // namespace otp
