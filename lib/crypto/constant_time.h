// Comparing secrets (codes, PINs, CSRF tokens, replay markers) without letting the time taken
// reveal how many leading bytes matched. Here rather than next to HOTP because login, verify
// and others need it without needing OTP arithmetic.
#pragma once

#include <string_view>

namespace otp {

// Constant-time equality: the running time depends only on the lengths.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace otp
