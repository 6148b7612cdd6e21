#include "session/session_cookie.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <new>

#include "crypto/digest.h"
#include "util/base64url.h"
#include "util/codec.h"
#include "util/error.h"
#include "util/file_io.h"
#include "util/secure_wipe.h"

namespace otp {
namespace {

constexpr unsigned char kVersion = 0x01;
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;
constexpr char kContext[] = "mod_otp session v1";
constexpr char kAttemptContext[] = "mod_otp attempt v1";  // same length: see aad()

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() { return CipherCtx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free); }

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

// The fixed-length context and version come first, so appending the realm is unambiguous.
std::string aad(std::string_view context, std::string_view realm) {
    std::string a(context);
    a.push_back(static_cast<char>(kVersion));
    a.append(realm);
    return a;
}

// ---- plaintext: three length-prefixed strings, then two big-endian 64-bit integers --------

void put_u32(std::string& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
void put_i64(std::string& out, std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(u >> shift));
}
void put_string(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s.data(), s.size());
}

class Reader {
public:
    explicit Reader(std::string_view data) : data_(data) {}
    bool u32(std::uint32_t* v) {
        if (data_.size() - pos_ < 4) return false;
        *v = 0;
        for (int i = 0; i < 4; ++i) *v = (*v << 8) | std::uint8_t(data_[pos_++]);
        return true;
    }
    bool i64(std::int64_t* v) {
        if (data_.size() - pos_ < 8) return false;
        std::uint64_t u = 0;
        for (int i = 0; i < 8; ++i) u = (u << 8) | std::uint8_t(data_[pos_++]);
        *v = static_cast<std::int64_t>(u);
        return true;
    }
    bool string(std::string* s) {
        std::uint32_t n = 0;
        if (!u32(&n) || data_.size() - pos_ < n) return false;
        s->assign(data_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    bool at_end() const { return pos_ == data_.size(); }

private:
    std::string_view data_;
    std::size_t pos_ = 0;
};

std::string serialise(const SessionClaims& c) {
    std::string out;
    out.reserve(12 + c.session_id.size() + c.user.size() + c.location.size() + 16);
    put_string(out, c.session_id);
    put_string(out, c.user);
    put_string(out, c.location);
    put_i64(out, c.issued_at);
    put_i64(out, c.last_used);
    return out;
}

std::optional<SessionClaims> deserialise(std::string_view data) {
    SessionClaims c;
    Reader r(data);
    if (!r.string(&c.session_id) || !r.string(&c.user) || !r.string(&c.location) ||
        !r.i64(&c.issued_at) || !r.i64(&c.last_used) || !r.at_end())
        return std::nullopt;
    return c;
}

// Sealed size for a plaintext of n bytes, after base64url: 4/3 of the raw bytes, rounded up.
std::size_t encoded_size(std::size_t plain) {
    const std::size_t raw = 1 + kNonceBytes + plain + kTagBytes;
    return (raw * 4 + 2) / 3;
}

}  // namespace

SessionSealer::SessionSealer(std::string key) : key_(std::move(key)) {}

SessionSealer::~SessionSealer() { secure_wipe(key_); }

std::optional<std::string> SessionSealer::seal(const SessionClaims& claims,
                                               std::string_view realm) const {
    std::string plain = serialise(claims);
    WipeOnExit wipe_plain(plain);
    return seal_plain(plain, kContext, realm);
}

std::optional<SessionClaims> SessionSealer::open(std::string_view cookie_value,
                                                 std::string_view realm) const {
    std::optional<std::string> plain = open_plain(cookie_value, kContext, realm);
    if (!plain) return std::nullopt;
    WipeOnExit wipe_plain(*plain);
    return deserialise(*plain);
}

std::optional<std::string> SessionSealer::seal(const AttemptClaims& claims,
                                               std::string_view realm) const {
    std::string plain;
    put_string(plain, claims.id);
    put_string(plain, claims.bound_user);
    put_string(plain, claims.return_path);
    put_i64(plain, claims.created);
    WipeOnExit wipe_plain(plain);
    return seal_plain(plain, kAttemptContext, realm);
}

std::optional<AttemptClaims> SessionSealer::open_attempt(std::string_view cookie_value,
                                                         std::string_view realm) const {
    std::optional<std::string> plain = open_plain(cookie_value, kAttemptContext, realm);
    if (!plain) return std::nullopt;
    WipeOnExit wipe_plain(*plain);
    AttemptClaims claims;
    Reader reader(*plain);
    if (!reader.string(&claims.id) || !reader.string(&claims.bound_user) ||
        !reader.string(&claims.return_path) || !reader.i64(&claims.created) || !reader.at_end())
        return std::nullopt;
    return claims;
}

std::optional<std::string> SessionSealer::seal_plain(const std::string& plain,
                                                     std::string_view context,
                                                     std::string_view realm) const try {
    if (!valid()) return std::nullopt;
    if (encoded_size(plain.size()) > kMaxSessionCookieBytes) return std::nullopt;
    if (plain.size() > static_cast<std::size_t>(INT32_MAX)) return std::nullopt;

    const std::optional<std::string> nonce = random_bytes(kNonceBytes);
    if (!nonce) return std::nullopt;

    CipherCtx ctx = new_ctx();
    if (!ctx) return std::nullopt;
    const std::string additional = aad(context, realm);
    std::string sealed;
    sealed.push_back(static_cast<char>(kVersion));
    sealed += *nonce;
    const std::size_t ct_offset = sealed.size();
    sealed.resize(ct_offset + plain.size() + kTagBytes);

    int len = 0;
    if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(kNonceBytes), nullptr) != 1 ||
        EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(*nonce)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes(additional), int(additional.size())) != 1)
        return std::nullopt;
    int written = 0;
    if (!plain.empty()) {
        if (EVP_EncryptUpdate(ctx.get(), bytes(sealed) + ct_offset, &len, bytes(plain),
                              int(plain.size())) != 1)
            return std::nullopt;
        written = len;
    }
    if (EVP_EncryptFinal_ex(ctx.get(), bytes(sealed) + ct_offset + written, &len) != 1)
        return std::nullopt;
    written += len;
    if (static_cast<std::size_t>(written) != plain.size()) return std::nullopt;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, int(kTagBytes),
                            bytes(sealed) + ct_offset + plain.size()) != 1)
        return std::nullopt;
    return base64url_encode(sealed);
} catch (const std::bad_alloc&) {
    return std::nullopt;
}

std::optional<std::string> SessionSealer::open_plain(std::string_view cookie_value,
                                                     std::string_view context,
                                                     std::string_view realm) const try {
    if (!valid() || cookie_value.size() > kMaxSessionCookieBytes) return std::nullopt;
    const std::optional<std::string> raw = base64url_decode(cookie_value);
    if (!raw || raw->size() < 1 + kNonceBytes + kTagBytes) return std::nullopt;
    if (static_cast<unsigned char>((*raw)[0]) != kVersion) return std::nullopt;

    const std::string_view view(*raw);
    const std::string_view nonce = view.substr(1, kNonceBytes);
    const std::string_view ciphertext =
        view.substr(1 + kNonceBytes, view.size() - 1 - kNonceBytes - kTagBytes);
    std::string tag(view.substr(view.size() - kTagBytes));

    CipherCtx ctx = new_ctx();
    if (!ctx) return std::nullopt;
    const std::string additional = aad(context, realm);
    std::string plain(ciphertext.size(), '\0');
    WipeOnExit wipe_plain(plain);
    int len = 0;
    if (EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, int(kNonceBytes), nullptr) != 1 ||
        EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, bytes(key_), bytes(nonce)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes(additional), int(additional.size())) != 1)
        return std::nullopt;
    int written = 0;
    if (!ciphertext.empty()) {
        if (EVP_DecryptUpdate(ctx.get(), bytes(plain), &len, bytes(ciphertext),
                              int(ciphertext.size())) != 1)
            return std::nullopt;
        written = len;
    }
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, int(kTagBytes), bytes(tag)) != 1)
        return std::nullopt;
    // The tag is verified here; nothing decrypted is trusted before this succeeds.
    if (EVP_DecryptFinal_ex(ctx.get(), bytes(plain) + written, &len) <= 0) return std::nullopt;
    return std::optional<std::string>(plain);
} catch (const std::bad_alloc&) {
    return std::nullopt;
}

namespace {

// a - b, or false on overflow.
bool checked_sub(std::int64_t a, std::int64_t b, std::int64_t* out) {
    return !__builtin_sub_overflow(a, b, out);
}

}  // namespace

SessionState check_session(const SessionClaims& claims, std::string_view location, std::int64_t now,
                           std::int64_t lifetime, std::int64_t idle_timeout) {
    if (claims.location != location) return SessionState::wrong_location;
    std::int64_t age = 0, idle = 0;
    if (!checked_sub(now, claims.issued_at, &age) || !checked_sub(now, claims.last_used, &idle))
        return SessionState::expired;
    // A timestamp from the future means clocks disagree or the key leaked; either way the
    // limits cannot be trusted beyond ordinary skew between servers.
    if (age < -kSessionClockSkew || idle < -kSessionClockSkew) return SessionState::expired;
    if (lifetime <= 0 || age >= lifetime) return SessionState::expired;
    if (idle_timeout > 0 && idle >= idle_timeout) return SessionState::idle;
    return SessionState::valid;
}

const char* session_state_name(SessionState state) {
    switch (state) {
        case SessionState::valid:
            return "valid";
        case SessionState::expired:
            return "expired";
        case SessionState::idle:
            return "idle";
        case SessionState::wrong_location:
            return "wrong_location";
    }
    return "unknown";
}

namespace {

constexpr std::size_t kMaxKeyFileBytes = 4096;  // anything bigger is certainly not a key file

}  // namespace

std::optional<std::string> load_session_key_file(const std::string& path, std::string* error) try {
    struct stat st;
    // O_NONBLOCK: a FIFO planted at the path would otherwise block open() (and with it
    // `apachectl configtest`) until a writer appears; open_regular_file refuses it at once.
    // Regular files ignore O_NONBLOCK, so the flag is harmless for the read below.
    const UniqueFd file =
        open_regular_file(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, &st, error);
    if (!file) return std::nullopt;
    if (!check_secret_file_access(path, st, "a session key", error)) return std::nullopt;
    if (st.st_size > static_cast<off_t>(kMaxKeyFileBytes)) {
        set_error(error, path + ": is " + std::to_string(st.st_size) +
                             " bytes; expected 64 hexadecimal characters or 32 raw bytes");
        return std::nullopt;
    }

    std::string content;
    WipeOnExit wipe_content(content);
    if (!read_secret(file.get(), path, kMaxKeyFileBytes, &content, error)) return std::nullopt;
    std::string_view text(content);

    std::optional<std::string> key;
    if (text.size() == kSessionKeyBytes) {
        // Random raw bytes are practically never all hex digits; 32 hex digits are a 16-byte
        // key typed by someone who ran "openssl rand -hex 16".
        if (is_hex(text)) {
            set_error(error,
                      path +
                          ": holds 32 hexadecimal characters (16 bytes); a session key needs "
                          "64 hexadecimal characters (openssl rand -hex 32)");
            return std::nullopt;
        }
        key = std::string(text);
    } else {
        std::string_view hex = text;
        if (hex.size() >= 1 && hex.back() == '\n') hex.remove_suffix(1);
        if (hex.size() >= 1 && hex.back() == '\r') hex.remove_suffix(1);
        if (hex.size() != 2 * kSessionKeyBytes) {
            set_error(error, path + ": is " + std::to_string(text.size()) +
                                 " bytes; expected 64 hexadecimal characters (optionally "
                                 "followed by a newline) or exactly 32 raw bytes");
            return std::nullopt;
        }
        if (!is_hex(hex)) {
            set_error(error, path + ": has 64 characters but not all are hexadecimal digits");
            return std::nullopt;
        }
        key = hex_decode(hex);
        if (!key) {
            set_error(error, path + ": cannot decode the hexadecimal key");
            return std::nullopt;
        }
    }
    bool all_zero = true;
    for (char c : *key) all_zero = all_zero && c == 0;
    if (all_zero) {
        secure_wipe(*key);
        set_error(error,
                  path + ": the key is all zero bytes; generate one with openssl rand -hex 32");
        return std::nullopt;
    }
    return key;
} catch (const std::bad_alloc&) {
    set_error(error, path + ": out of memory");
    return std::nullopt;
}

}  // namespace otp
