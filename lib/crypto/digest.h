// Hashes, keyed hashes and randomness for keys the module derives (store keys, linger
// records). Thin wrappers over OpenSSL's libcrypto that return raw bytes in std::string.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace otp {

std::string sha256(std::string_view data);
// SHA-1, only where a protocol names a thing by it (Redis scripts for EVALSHA); never for
// anything an attacker could choose to collide.
std::string sha1(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);

// HMAC-SHA-256 under one key that is used for many messages (the per-process linger key).
// OpenSSL 3's one-shot HMAC() fetches the algorithm and expands the key on every call, which
// costs microseconds on a path that must stay as cheap as a static file; this keeps the inner
// and outer hash states keyed once and copies them per message. mac() may be called from
// several threads at once.
class HmacSha256Key {
public:
    explicit HmacSha256Key(std::string_view key);
    ~HmacSha256Key();
    HmacSha256Key(const HmacSha256Key&) = delete;
    HmacSha256Key& operator=(const HmacSha256Key&) = delete;

    bool ok() const { return inner_ != nullptr; }
    // The 32-byte MAC of data; empty when libcrypto fails (or the key was not set up).
    std::string mac(std::string_view data) const;

private:
    struct evp_md_ctx_st* inner_ = nullptr;  // EVP_MD_CTX after the key XOR ipad block
    struct evp_md_ctx_st* outer_ = nullptr;  // after the key XOR opad block
};

// Unambiguous concatenation for hashing several fields: each field is prefixed by its length,
// so ("ab","c") and ("a","bc") never hash alike.
std::string length_prefixed(std::initializer_list<std::string_view> fields);

// Cryptographically secure random bytes; std::nullopt when the generator fails.
std::optional<std::string> random_bytes(std::size_t count);

}  // namespace otp
