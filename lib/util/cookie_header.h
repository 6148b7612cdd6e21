// Reading Cookie request headers (RFC 6265 §5.4). A browser sends one cookie per name and
// path, so a name can arrive several times when realms nest (/ and /app) or a stale cookie
// lingers; the caller tries each value (a sealed session opens only in its own realm) rather
// than taking the first or refusing them all.
#pragma once

#include <string_view>
#include <vector>

namespace otp {

// Appends every value of cookie `name` in one Cookie header (pairs separated by ';', blanks
// around them ignored, names compared exactly). Surrounding double quotes are kept: a value
// is passed on as the client sent it. At most kMaxCookieValues values in total.
void append_cookie_values(std::string_view header, std::string_view name,
                          std::vector<std::string_view>* values);

constexpr std::size_t kMaxCookieValues = 8;

}  // namespace otp
