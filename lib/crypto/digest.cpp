#include "crypto/digest.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

#include "util/secure_wipe.h"

namespace otp {

std::string sha256(std::string_view data) {
    unsigned char out[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
    return std::string(reinterpret_cast<char*>(out), sizeof out);
}

std::string sha1(std::string_view data) {
    unsigned char out[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out);
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

namespace {

constexpr std::size_t kSha256Block = 64;

// Fetched once: EVP_sha256() makes every EVP_DigestInit_ex look the implementation up again.
const EVP_MD* fetched_sha256() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

struct EvpMdCtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// One scratch context per thread, reused for every MAC of that thread.
EVP_MD_CTX* scratch_context() {
    thread_local std::unique_ptr<EVP_MD_CTX, EvpMdCtxFree> ctx(EVP_MD_CTX_new());
    return ctx.get();
}

EVP_MD_CTX* keyed_state(const unsigned char* key_block, unsigned char pad) {
    unsigned char block[kSha256Block];
    for (std::size_t i = 0; i < kSha256Block; ++i) block[i] = key_block[i] ^ pad;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok = ctx && fetched_sha256() &&
                    EVP_DigestInit_ex(ctx, fetched_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx, block, sizeof block) == 1;
    secure_wipe(block, sizeof block);
    if (!ok) {
        EVP_MD_CTX_free(ctx);
        return nullptr;
    }
    return ctx;
}

}  // namespace

HmacSha256Key::HmacSha256Key(std::string_view key) {
    // RFC 2104: a key longer than the block is hashed first; the key block is zero padded.
    unsigned char key_block[kSha256Block] = {};
    if (key.size() > kSha256Block) {
        const std::string hashed = sha256(key);
        std::memcpy(key_block, hashed.data(), hashed.size());
    } else {
        std::memcpy(key_block, key.data(), key.size());
    }
    inner_ = keyed_state(key_block, 0x36);
    outer_ = keyed_state(key_block, 0x5c);
    secure_wipe(key_block, sizeof key_block);
    if (!inner_ || !outer_) {
        EVP_MD_CTX_free(inner_);
        EVP_MD_CTX_free(outer_);
        inner_ = outer_ = nullptr;
    }
}

HmacSha256Key::~HmacSha256Key() {
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
}

std::string HmacSha256Key::mac(std::string_view data) const {
    EVP_MD_CTX* work = scratch_context();
    if (!inner_ || !work) return {};
    unsigned char inner_digest[SHA256_DIGEST_LENGTH];
    unsigned char out[SHA256_DIGEST_LENGTH];
    unsigned int length = 0;
    if (EVP_MD_CTX_copy_ex(work, inner_) != 1 ||
        EVP_DigestUpdate(work, data.data(), data.size()) != 1 ||
        EVP_DigestFinal_ex(work, inner_digest, &length) != 1 ||
        EVP_MD_CTX_copy_ex(work, outer_) != 1 ||
        EVP_DigestUpdate(work, inner_digest, sizeof inner_digest) != 1 ||
        EVP_DigestFinal_ex(work, out, &length) != 1)
        return {};
    return std::string(reinterpret_cast<char*>(out), sizeof out);
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
