// The HMAC hash functions an OATH token may use (RFC 4226 uses SHA-1; RFC 6238 adds
// SHA-256 and SHA-512).
#pragma once

namespace otp {

enum class HashAlgorithm { sha1, sha256, sha512 };

const char* hash_algorithm_name(HashAlgorithm algorithm);  // "SHA1", "SHA256", "SHA512"

}  // namespace otp
