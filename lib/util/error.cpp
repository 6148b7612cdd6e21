#include "util/error.h"

#include <cstring>
#include <utility>

namespace otp {
namespace {

// strerror_r comes in a GNU and an XSI flavour; these overloads accept either.
[[maybe_unused]] const char* strerror_text(int rc, const char* buf) {
    return rc == 0 ? buf : "unknown error";
}
[[maybe_unused]] const char* strerror_text(const char* text, const char*) { return text; }

}  // namespace

bool set_error(std::string* error, std::string reason) {
    if (error) *error = std::move(reason);
    return false;
}

bool set_errno_error(std::string* error, const std::string& what, int err) {
    return set_error(error, what + ": " + errno_text(err));
}

std::string errno_text(int err) {
    char buf[256] = {0};
    return strerror_text(strerror_r(err, buf, sizeof buf), buf);
}

}  // namespace otp
