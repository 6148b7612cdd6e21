// otpauth:// URIs (the Key Uri Format read by authenticator apps) for enrolment and the demo.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/hash_algorithm.h"

namespace otp {

struct OtpauthParams {
    bool time_based = true;       // totp vs hotp
    std::string issuer;           // may be empty
    std::string account;          // user name
    std::string key;              // raw secret bytes
    HashAlgorithm algorithm = HashAlgorithm::sha1;
    unsigned digits = 6;
    unsigned period = 30;         // totp only
    std::uint64_t counter = 0;    // hotp only
};

// Label and parameters are percent-encoded (RFC 3986 unreserved characters kept); the secret
// is unpadded base32.
std::string build_otpauth_uri(const OtpauthParams& params);

}  // namespace otp
