#include "crypto/constant_time.h"

#include <openssl/crypto.h>

namespace otp {

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace otp
