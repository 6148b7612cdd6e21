#include "crypto/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace otp {

std::string sha256(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int out_len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &out_len))
        return {};
    return std::string(reinterpret_cast<char*>(out), out_len);
}

std::string length_prefixed(std::initializer_list<std::string_view> fields) {
    std::string out;
    for (std::string_view field : fields) {
        out += std::to_string(field.size());
        out += ':';
        out.append(field.data(), field.size());
    }
    return out;
}

std::optional<std::string> random_bytes(std::size_t count) {
    std::string out(count, '\0');
    if (count > 0 &&
        RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1)
        return std::nullopt;
    return out;
}

}  // namespace otp
