// The one way lib/ reports a refusal: functions return false (or nullopt) and, when the caller
// passed a string, say why in it. Callers that only need the verdict pass nullptr.
#pragma once

#include <string>

namespace otp {

// Stores `reason` in *error when error is not null; always returns false, so that a refusal
// reads `return set_error(error, "...");`.
bool set_error(std::string* error, std::string reason);

// set_error(error, what + ": " + errno_text(err)).
bool set_errno_error(std::string* error, const std::string& what, int err);

// The system's message for errno value `err`; thread-safe, unlike std::strerror.
std::string errno_text(int err);

}  // namespace otp
