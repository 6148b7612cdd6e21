// Checks a one-time code (optionally preceded by the token's PIN) for a user against the
// tokens of the users file: TOTP codes in the delay window with replay state in the shared
// store, HOTP codes in the look-ahead window with the counter persisted in the users file
// under its lock. The single place where "is this code good for this user?" is decided.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/state_store.h"
#include "users/users_file.h"

namespace otp {

struct OtpPolicy {
    unsigned default_digits = 6;    // OTPDigits: for token types that do not say
    unsigned default_step = 30;     // OTPTimeStep
    unsigned totp_window = 1;       // OTPWindow: steps either side of now
    unsigned hotp_look_ahead = 10;  // OTPHOTPLookAhead
};

// OTPWindow's largest value. Replay records cover it whatever the accepting location's own
// window, so a code accepted where the window is small cannot be replayed where it is larger.
constexpr unsigned kMaxTotpWindow = 10;

enum class PinUse {
    in_password,  // Basic: password = PIN + code (PIN "-" or "+": code only)
    not_used,     // interactive flows: the field holds the code alone
};

enum class ValidationOutcome {
    accepted,
    invalid_otp,  // wrong code or wrong PIN (never told apart to the client)
    replay,       // the code (or a newer one) was accepted before
    unknown_user,
    store_error,  // state store or users file could not be read or written: fail closed
};

// The SPEC §6 reason string for a refused outcome ("invalid_otp", "replay", ...).
const char* outcome_reason(ValidationOutcome outcome);

struct ValidationResult {
    ValidationOutcome outcome = ValidationOutcome::invalid_otp;
    const char* pipe = "";  // "totp" or "hotp": the kind of token that decided
    std::string detail;     // for the error log; never contains a code, PIN or secret
};

// The users file the index was read from; HOTP acceptance rewrites it.
struct UsersSource {
    const UsersIndex& index;
    const std::string& path;
};

// Compares the code with the user's tokens (only those of `only_kind` when set). Every token
// costs the same HMACs whether its PIN matched or not, so the time taken tells neither.
ValidationResult validate_code(const UsersSource& users, StateStore& store, const OtpPolicy& policy,
                               std::optional<TokenKind> only_kind, std::string_view user,
                               std::string_view password, PinUse pin_use, std::int64_t now,
                               std::string_view client_address = {});

// The store key that remembers the newest accepted time step of a TOTP token. Derived by
// hashing, so an external store (memcache, redis) never sees user names or secrets.
std::string totp_replay_key(const TokenRecord& token);

}  // namespace otp
