// HOTP/TOTP on top of libcrypto.
//
// Speed: a verification computes HMAC(key, counter) for every candidate in the window. HMAC
// hashes the key's inner and outer padded blocks before each message (RFC 2104); those two
// states depend on the key only, so they are computed once per call and every candidate then
// costs exactly two compression-function calls (its message and padding fit in one block).
// libcrypto's public one-block primitive for that is the low-level SHA*_Transform API, which
// OpenSSL 3 marks deprecated but still ships. The EVP interface can only clone a digest state
// with a heap allocation per copy: window ±1 with SHA-1 costs 0.7-1.2 us that way against
// ~0.3 us here (one-shot HMAC() per candidate: ~3.3 us). When libcrypto is built without the
// deprecated API, the EVP_MD_CTX_copy_ex fallback below is used instead (same results, slower).
//
// Thread safety: all state lives on the caller's stack; nothing is shared between calls.

// Must precede the OpenSSL headers: we use the deprecated low-level digest API on purpose.
#ifndef OPENSSL_SUPPRESS_DEPRECATED
#define OPENSSL_SUPPRESS_DEPRECATED 1
#endif

#include "otp/hotp.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "util/secure_wipe.h"

#if !defined(OPENSSL_NO_DEPRECATED_3_0)
#define OTP_HMAC_LOW_LEVEL 1
#else
#define OTP_HMAC_LOW_LEVEL 0
#endif

namespace otp {
namespace {

constexpr std::uint64_t kMaxCounter = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t kCounterBytes = 8;
// Candidates processed together: their compression calls are independent, so issuing them
// back to back lets the CPU overlap them (window ±1: ~300 ns instead of ~450 ns one by one).
constexpr std::size_t kBatch = 8;

using Counter = std::array<unsigned char, kCounterBytes>;

// Big-endian stores written out byte by byte: compilers merge them into one byte-swapped store,
// which matters here because they sit on the per-candidate path.
void store_be(unsigned char* out, std::uint32_t v) {
    out[0] = static_cast<unsigned char>(v >> 24);
    out[1] = static_cast<unsigned char>(v >> 16);
    out[2] = static_cast<unsigned char>(v >> 8);
    out[3] = static_cast<unsigned char>(v);
}
void store_be(unsigned char* out, std::uint64_t v) {
    store_be(out, static_cast<std::uint32_t>(v >> 32));
    store_be(out + 4, static_cast<std::uint32_t>(v));
}

Counter counter_bytes(std::uint64_t counter) {  // RFC 4226 §5.2: 8-byte big-endian
    Counter out;
    store_be(out.data(), counter);
    return out;
}

// RFC 4226 §5.3 dynamic truncation: 31 bits taken at an offset chosen by the last nibble.
std::uint32_t dynamic_truncate(const unsigned char* mac, std::size_t mac_size) {
    const unsigned offset = mac[mac_size - 1] & 0x0f;
    return (static_cast<std::uint32_t>(mac[offset] & 0x7f) << 24) |
           (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
           (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
           static_cast<std::uint32_t>(mac[offset + 3]);
}

using CodeBuffer = std::array<char, kMaxDigits>;

// value mod 10^kMaxDigits as kMaxDigits zero-padded decimal digits; a d-digit code is the last
// d of them (value mod 10^d). The fixed digit count lets the loop unroll, and division by the
// constant 10 compiles to multiplications, so the timing does not depend on the value.
CodeBuffer format_code(std::uint32_t value) {
    CodeBuffer out;
    for (std::size_t i = kMaxDigits; i-- > 0; value /= 10)
        out[i] = static_cast<char>('0' + value % 10);
    return out;
}

std::string_view last_digits(const CodeBuffer& code, unsigned digits) {
    return std::string_view(code.data() + kMaxDigits - digits, digits);
}

bool digits_supported(unsigned digits) { return digits >= kMinDigits && digits <= kMaxDigits; }

// Builds the key block of RFC 2104: the key (hashed first when longer than a block) zero
// padded to the block size. Returns false when libcrypto fails.
bool make_key_block(const EVP_MD* long_key_digest, std::string_view key, unsigned char* block,
                    std::size_t block_size) {
    std::memset(block, 0, block_size);
    if (key.size() <= block_size) {
        std::memcpy(block, key.data(), key.size());
        return true;
    }
    unsigned int len = 0;
    return EVP_Digest(key.data(), key.size(), block, &len, long_key_digest, nullptr) == 1;
}

#if OTP_HMAC_LOW_LEVEL

// One-block compression primitives of each hash, for the precomputed-pad HMAC below.
struct Sha1 {
    using State = SHA_CTX;
    static constexpr std::size_t kBlock = 64, kSize = 20, kLengthField = 8;
    static const EVP_MD* md() { return EVP_sha1(); }
    static void init(State& s) { SHA1_Init(&s); }
    static void compress(State& s, const unsigned char* block) { SHA1_Transform(&s, block); }
    static void digest(const State& s, unsigned char* out) {
        const std::uint32_t h[] = {s.h0, s.h1, s.h2, s.h3, s.h4};
        for (std::size_t i = 0; i < 5; ++i) store_be(out + 4 * i, h[i]);
    }
};

struct Sha256 {
    using State = SHA256_CTX;
    static constexpr std::size_t kBlock = 64, kSize = 32, kLengthField = 8;
    static const EVP_MD* md() { return EVP_sha256(); }
    static void init(State& s) { SHA256_Init(&s); }
    static void compress(State& s, const unsigned char* block) { SHA256_Transform(&s, block); }
    static void digest(const State& s, unsigned char* out) {
        for (std::size_t i = 0; i < 8; ++i) store_be(out + 4 * i, std::uint32_t{s.h[i]});
    }
};

struct Sha512 {
    using State = SHA512_CTX;
    static constexpr std::size_t kBlock = 128, kSize = 64, kLengthField = 16;
    static const EVP_MD* md() { return EVP_sha512(); }
    static void init(State& s) { SHA512_Init(&s); }
    static void compress(State& s, const unsigned char* block) { SHA512_Transform(&s, block); }
    static void digest(const State& s, unsigned char* out) {
        for (std::size_t i = 0; i < 8; ++i) store_be(out + 8 * i, std::uint64_t{s.h[i]});
    }
};

// HMAC with the inner and outer key blocks compressed once in the constructor.
template <class Hash>
class PrecomputedHmac {
public:
    static constexpr std::size_t kSize = Hash::kSize;

    explicit PrecomputedHmac(std::string_view key) {
        unsigned char key_block[Hash::kBlock];
        WipeOnExit wipe(key_block);
        ok_ = make_key_block(Hash::md(), key, key_block, Hash::kBlock);
        compress_pads(key_block);
    }
    ~PrecomputedHmac() {
        secure_wipe(inner_);
        secure_wipe(outer_);
    }
    PrecomputedHmac(const PrecomputedHmac&) = delete;
    PrecomputedHmac& operator=(const PrecomputedHmac&) = delete;

    bool ok() const { return ok_; }

    // macs[i] = HMAC(key, counter_bytes(first + i)) for i < n <= kBatch. The compression
    // calls of different candidates are independent; issuing them back to back, with the
    // block preparation done before, lets the CPU overlap them.
    void mac_counters(std::uint64_t first, std::size_t n, unsigned char (*macs)[kSize]) const {
        typename Hash::State work[kBatch];
        unsigned char blocks[kBatch][Hash::kBlock];
        for (std::size_t i = 0; i < n; ++i) {
            final_block(blocks[i], counter_bytes(first + i).data(), kCounterBytes);
            work[i] = inner_;
        }
        for (std::size_t i = 0; i < n; ++i) Hash::compress(work[i], blocks[i]);
        for (std::size_t i = 0; i < n; ++i) {
            unsigned char inner_digest[kSize];
            Hash::digest(work[i], inner_digest);
            final_block(blocks[i], inner_digest, kSize);
            work[i] = outer_;
        }
        for (std::size_t i = 0; i < n; ++i) Hash::compress(work[i], blocks[i]);
        for (std::size_t i = 0; i < n; ++i) Hash::digest(work[i], macs[i]);
    }

private:
    // The message always fits in the block after the key block, with its padding (0x80,
    // zeros, bit length of block + message); so one compression ends the hash.
    static_assert(kSize + 1 + Hash::kLengthField <= Hash::kBlock, "one final block");

    static void final_block(unsigned char* block, const unsigned char* message, std::size_t size) {
        std::memset(block, 0, Hash::kBlock);
        std::memcpy(block, message, size);
        block[size] = 0x80;
        store_be(block + Hash::kBlock - 8, std::uint64_t{(Hash::kBlock + size) * 8});
    }

    // inner_ and outer_ = the hash state after the key block XOR ipad / opad (RFC 2104),
    // the two compressions issued back to back as in mac_counters.
    void compress_pads(const unsigned char* key_block) {
        unsigned char blocks[2][Hash::kBlock];
        WipeOnExit wipe(blocks);
        for (std::size_t i = 0; i < Hash::kBlock; ++i) {
            blocks[0][i] = static_cast<unsigned char>(key_block[i] ^ 0x36);
            blocks[1][i] = static_cast<unsigned char>(key_block[i] ^ 0x5c);
        }
        Hash::init(inner_);
        Hash::init(outer_);
        Hash::compress(inner_, blocks[0]);
        Hash::compress(outer_, blocks[1]);
    }

    typename Hash::State inner_{};
    typename Hash::State outer_{};
    bool ok_ = false;
};

#else  // !OTP_HMAC_LOW_LEVEL: libcrypto without the deprecated API

struct MdCtxDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// Same contract as PrecomputedHmac, keeping the padded states in EVP contexts and cloning them
// per message.
template <std::size_t Size, const EVP_MD* (*Md)()>
class EvpHmac {
public:
    static constexpr std::size_t kSize = Size;

    explicit EvpHmac(std::string_view key)
        : inner_(EVP_MD_CTX_new()), outer_(EVP_MD_CTX_new()), work_(EVP_MD_CTX_new()) {
        const EVP_MD* md = Md();
        const int block_size = EVP_MD_get_block_size(md);
        unsigned char key_block[kMaxBlock];
        WipeOnExit wipe(key_block);
        ok_ = inner_ && outer_ && work_ && block_size > 0 &&
              static_cast<std::size_t>(block_size) <= kMaxBlock &&
              make_key_block(md, key, key_block, block_size) &&
              start(inner_.get(), md, key_block, block_size, 0x36) &&
              start(outer_.get(), md, key_block, block_size, 0x5c);
    }

    bool ok() const { return ok_; }

    void mac_counters(std::uint64_t first, std::size_t n, unsigned char (*macs)[kSize]) const {
        for (std::size_t i = 0; i < n; ++i) {
            unsigned char inner[kSize];
            if (!digest(inner_.get(), counter_bytes(first + i).data(), kCounterBytes, inner) ||
                !digest(outer_.get(), inner, kSize, macs[i]))
                ok_ = false;
        }
    }

private:
    static constexpr std::size_t kMaxBlock = 128;

    static bool start(EVP_MD_CTX* ctx, const EVP_MD* md, const unsigned char* key_block,
                      std::size_t block_size, unsigned char pad) {
        unsigned char block[kMaxBlock];
        WipeOnExit wipe(block);
        for (std::size_t i = 0; i < block_size; ++i)
            block[i] = static_cast<unsigned char>(key_block[i] ^ pad);
        return EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
               EVP_DigestUpdate(ctx, block, block_size) == 1;
    }

    bool digest(const EVP_MD_CTX* from, const unsigned char* message, std::size_t size,
                unsigned char* out) const {
        unsigned int len = 0;
        return EVP_MD_CTX_copy_ex(work_.get(), from) == 1 &&
               EVP_DigestUpdate(work_.get(), message, size) == 1 &&
               EVP_DigestFinal_ex(work_.get(), out, &len) == 1 && len == kSize;
    }

    MdCtx inner_, outer_, work_;
    mutable bool ok_ = false;
};

#endif

// Runs fn with the precomputed HMAC for `algorithm`; fn receives it by const reference.
template <class Fn>
auto with_hmac(HashAlgorithm algorithm, std::string_view key, Fn&& fn) {
#if OTP_HMAC_LOW_LEVEL
    switch (algorithm) {
        case HashAlgorithm::sha256:
            return fn(PrecomputedHmac<Sha256>(key));
        case HashAlgorithm::sha512:
            return fn(PrecomputedHmac<Sha512>(key));
        case HashAlgorithm::sha1:
            break;
    }
    return fn(PrecomputedHmac<Sha1>(key));
#else
    switch (algorithm) {
        case HashAlgorithm::sha256:
            return fn(EvpHmac<32, EVP_sha256>(key));
        case HashAlgorithm::sha512:
            return fn(EvpHmac<64, EVP_sha512>(key));
        case HashAlgorithm::sha1:
            break;
    }
    return fn(EvpHmac<20, EVP_sha1>(key));
#endif
}

// Remembers the lowest candidate whose code equals the one offered, without branching on the
// comparison results, so every candidate costs the same whether or where a match occurs.
// Lowest, because two candidates can share a code by chance: HOTP resynchronisation must then
// take the smallest counter jump; TOTP follows the same rule (the earlier step), the stricter
// choice for "step must be newer than the last accepted one" replay checks.
class ConstantTimeMatch {
public:
    void offer(std::uint64_t candidate, bool equal) {
        const std::uint64_t take = std::uint64_t{0} - (equal & !matched_);
        found_ |= candidate & take;
        matched_ |= equal;
    }
    std::optional<std::uint64_t> result() const {
        if (!matched_) return std::nullopt;
        return found_;
    }

private:
    std::uint64_t found_ = 0;
    bool matched_ = false;
};

// Computes and compares the code of every counter in first..last (inclusive).
template <class Hmac>
std::optional<std::uint64_t> search_counters(const Hmac& hmac, unsigned digits, std::uint64_t first,
                                             std::uint64_t last, std::string_view code) {
    ConstantTimeMatch match;
    unsigned char macs[kBatch][Hmac::kSize];
    for (std::uint64_t batch = first;;) {
        // Counting the remaining candidates as last - batch avoids overflow at UINT64_MAX.
        const std::size_t n =
            static_cast<std::size_t>(std::min<std::uint64_t>(last - batch, kBatch - 1)) + 1;
        hmac.mac_counters(batch, n, macs);
        for (std::size_t i = 0; i < n; ++i) {
            const CodeBuffer candidate = format_code(dynamic_truncate(macs[i], Hmac::kSize));
            const std::string_view candidate_code = last_digits(candidate, digits);
            match.offer(batch + i, CRYPTO_memcmp(candidate_code.data(), code.data(), digits) == 0);
        }
        if (last - batch < n) break;
        batch += n;
    }
    secure_wipe(macs);
    if (!hmac.ok()) return std::nullopt;
    return match.result();
}

std::optional<std::uint64_t> find_in_range(HashAlgorithm algorithm, std::string_view key,
                                           unsigned digits, std::uint64_t first, std::uint64_t last,
                                           std::string_view code) {
    // The code's length is public (the user typed it), so refusing early leaks nothing.
    if (key.empty() || !digits_supported(digits) || code.size() != digits) return std::nullopt;
    return with_hmac(algorithm, key, [&](const auto& hmac) {
        return search_counters(hmac, digits, first, last, code);
    });
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
    return b > kMaxCounter - a ? kMaxCounter : a + b;
}

}  // namespace

std::string hotp_code(HashAlgorithm algorithm, std::string_view key, std::uint64_t counter,
                      unsigned digits) {
    if (key.empty() || !digits_supported(digits)) return {};
    return with_hmac(algorithm, key, [&](const auto& hmac) -> std::string {
        using Hmac = std::decay_t<decltype(hmac)>;
        unsigned char mac[1][Hmac::kSize];
        hmac.mac_counters(counter, 1, mac);
        if (!hmac.ok()) return {};
        const CodeBuffer code = format_code(dynamic_truncate(mac[0], Hmac::kSize));
        return std::string(last_digits(code, digits));
    });
}

std::uint64_t totp_step(std::int64_t unix_time, unsigned step_seconds, std::int64_t t0) {
    if (step_seconds == 0 || unix_time < t0) return 0;
    // The difference of two int64 values can exceed INT64_MAX but always fits in uint64;
    // unsigned subtraction computes it exactly.
    const std::uint64_t elapsed =
        static_cast<std::uint64_t>(unix_time) - static_cast<std::uint64_t>(t0);
    return elapsed / step_seconds;
}

std::string totp_code(HashAlgorithm algorithm, std::string_view key, std::int64_t unix_time,
                      unsigned step_seconds, unsigned digits) {
    if (step_seconds == 0) return {};
    return hotp_code(algorithm, key, totp_step(unix_time, step_seconds), digits);
}

std::optional<std::uint64_t> find_hotp_counter(HashAlgorithm algorithm, std::string_view key,
                                               unsigned digits, std::uint64_t first,
                                               unsigned look_ahead, std::string_view code) {
    return find_in_range(algorithm, key, digits, first, saturating_add(first, look_ahead), code);
}

std::optional<std::uint64_t> find_totp_step(HashAlgorithm algorithm, std::string_view key,
                                            unsigned digits, unsigned step_seconds,
                                            std::int64_t unix_time, unsigned window,
                                            std::string_view code) {
    if (step_seconds == 0) return std::nullopt;
    const std::uint64_t now = totp_step(unix_time, step_seconds);
    const std::uint64_t first = now >= window ? now - window : 0;
    return find_in_range(algorithm, key, digits, first, saturating_add(now, window), code);
}

}  // namespace otp
