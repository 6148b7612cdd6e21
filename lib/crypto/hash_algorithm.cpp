#include "crypto/hash_algorithm.h"

namespace otp {

const char* hash_algorithm_name(HashAlgorithm algorithm) {
    switch (algorithm) {
        case HashAlgorithm::sha256: return "SHA256";
        case HashAlgorithm::sha512: return "SHA512";
        case HashAlgorithm::sha1: break;
    }
    return "SHA1";
}

}  // namespace otp
