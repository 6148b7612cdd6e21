// Sealed session cookies (SPEC §3 "Session"): the claims are encrypted and authenticated with
// AES-256-GCM, so the browser can hold them without being able to read or change them.
//
// Cookie value = base64url (no padding) of
//     version (1 byte, 0x01) || nonce (12 random bytes) || ciphertext || tag (16 bytes)
// with additional authenticated data "mod_otp session v1" || version || realm ("mod_otp
// attempt v1" for attempt cookies), which binds the
// value to this purpose and to the realm that made it (the module's realm names the virtual
// host, the protected section, the users file and the cookie name): nothing else sealed with
// the same key, and no session of another realm, can be passed off as a session here.
//
// Nonces are random, which is safe for far more cookies than one key will ever seal (NIST SP
// 800-38D §8.3 allows 2^32 random-nonce seals per key).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otp {

struct SessionClaims {
    std::string session_id;  // server-side handle (revocation on logout/lockout)
    std::string user;
    std::string location;        // the protected location the session is valid for
    std::int64_t issued_at = 0;  // unix seconds
    std::int64_t last_used = 0;  // unix seconds
};

// A login attempt (SPEC §3), sealed into the attempt cookie so that an anonymous page load
// costs no space in the state store: the store keeps only the attempt's retry counter, made
// at its first guess.
struct AttemptClaims {
    std::string id;            // random; names the attempt's retry counter in the store
    std::string bound_user;    // Require otp: the first factor's user; empty for AuthType OTP
    std::string return_path;   // where to go after success
    std::int64_t created = 0;  // unix seconds
};

constexpr std::size_t kSessionKeyBytes = 32;
constexpr std::size_t kMaxSessionCookieBytes = 4096;  // browsers drop larger cookies anyway

class SessionSealer {
public:
    // `key` must be kSessionKeyBytes long; with any other length seal() and open() always
    // fail (fail closed), and valid() says so.
    explicit SessionSealer(std::string key);
    ~SessionSealer();  // wipes the key
    SessionSealer(const SessionSealer&) = default;
    SessionSealer& operator=(const SessionSealer&) = default;
    SessionSealer(SessionSealer&&) = default;
    SessionSealer& operator=(SessionSealer&&) = default;

    bool valid() const { return key_.size() == kSessionKeyBytes; }

    // std::nullopt if the key is unusable, randomness or the cipher fails, or the sealed value
    // would exceed kMaxSessionCookieBytes.
    std::optional<std::string> seal(const SessionClaims& claims, std::string_view realm = {}) const;

    // std::nullopt for anything that is not a value seal() made with this key: tampered,
    // truncated, wrong version, wrong key, another realm, oversize, bad base64url, malformed
    // plaintext.
    std::optional<SessionClaims> open(std::string_view cookie_value,
                                      std::string_view realm = {}) const;

    // The same for attempt cookies, with a purpose of their own in the additional data: a
    // session cookie never opens as an attempt, nor an attempt as a session.
    std::optional<std::string> seal(const AttemptClaims& claims, std::string_view realm) const;
    std::optional<AttemptClaims> open_attempt(std::string_view cookie_value,
                                              std::string_view realm) const;

private:
    std::optional<std::string> seal_plain(const std::string& plain, std::string_view context,
                                          std::string_view realm) const;
    std::optional<std::string> open_plain(std::string_view cookie_value, std::string_view context,
                                          std::string_view realm) const;

    std::string key_;
};

enum class SessionState { valid, expired, idle, wrong_location };

constexpr std::int64_t kSessionClockSkew = 60;  // seconds of tolerated clock difference

// Decides whether opened claims are a session for `location` at time `now` (unix seconds).
// Checked in this order:
//  - claims.location != location (exact, byte for byte)               -> wrong_location
//  - issued_at or last_used more than kSessionClockSkew in the future -> expired
//  - now >= issued_at + lifetime (lifetime <= 0 fails closed)         -> expired
//  - now >= last_used + idle_timeout (idle_timeout <= 0: no idle limit) -> idle
// Arithmetic is overflow-safe: absurd timestamps count as expired.
SessionState check_session(const SessionClaims& claims, std::string_view location, std::int64_t now,
                           std::int64_t lifetime, std::int64_t idle_timeout);

const char* session_state_name(SessionState state);  // "valid", "expired", … for logs

// Reads an OTPSessionKeyFile: 64 hexadecimal characters (optionally followed by "\n" or
// "\r\n"), or exactly 32 raw bytes. Refuses a file that is not a regular file (a FIFO is
// refused at once, never waited on), that its group or other users may read or write (only
// 0600 or 0400), that is owned by neither root nor the reading user (geteuid()), the wrong
// size, 32 hex characters (only 16 bytes of key: "openssl rand -hex 16" is a likely
// mistake), or an all-zero key. On failure returns std::nullopt and sets *error (if
// non-null) to "<path>: <reason>"; the reason names the fix and never contains key material.
std::optional<std::string> load_session_key_file(const std::string& path, std::string* error);

}  // namespace otp
