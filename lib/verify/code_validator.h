// Checks a one-time code (optionally preceded by the token's PIN) for a user against the
// tokens of the users file: TOTP codes in the delay window with replay state in the shared
// store, HOTP codes in the look-ahead window with the counter persisted in the users file
// under its lock and advanced in the shared store (for hosts that share it). The single place where "is this code good for this user?" is decided.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/state_store.h"
#include "users/users_file.h"
#include "verify/delivered_code.h"

namespace otp {

struct OtpPolicy {
    unsigned default_digits = 6;    // OTPDigits: for token types that do not say
    unsigned default_step = 30;     // OTPTimeStep
    unsigned totp_window = 1;       // OTPWindow: steps either side of now
    unsigned hotp_look_ahead = 10;  // OTPHOTPLookAhead
    bool hotp_counter_in_store = false;  // also advance HOTP counters in the store (Redis)
    DeliveredCodePolicy delivered;  // OTPDeliveredCode, OTPDeliveredLifetime, OTPDeliveredUses
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
    expired,      // a delivered code past its lifetime or its allowed uses
    pipe_error,   // an exec program failed, was killed or did not answer in time: fail closed
    pipe_busy,    // OTPPipeMaxConcurrent programs were running already: fail closed at once
};

// The SPEC §6 reason string for a refused outcome ("invalid_otp", "replay", ...).
const char* outcome_reason(ValidationOutcome outcome);

// How an external program (an exec pipe or a pre-pipe) ran, for the error log and the
// "OTP pipe error" event. Never holds the program's stdin or the code.
struct ProgramReport {
    std::string pipe;     // the OTPPipe's name
    std::string program;  // its path
    std::string outcome;  // "exit 0", "exit 2", "signal 9", "timeout", "spawn failed: ..."
    int exit_code = -1;   // when it exited
    int signal = 0;       // when a signal ended it (also SIGKILL after the timeout)
    std::int64_t duration_ms = 0;
    bool failed = false;  // a pipe error (neither 0 nor 1, a signal, no answer in time)
    bool started = true;  // false: it could not be started, so it never saw the code
    std::vector<std::string> stderr_lines;  // truncated, the code redacted
};

struct ValidationResult {
    ValidationOutcome outcome = ValidationOutcome::invalid_otp;
    const char* pipe = "";  // the pipe, or the kind of token, that decided ("totp", "hotp")
    std::string detail;     // for the error log; never contains a code, PIN or secret
    std::optional<ProgramReport> program;  // exec pipes: how the program ran
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
// The store key that holds the next HOTP counter the store allows for a token (the accepted
// counter + 1). Every host sharing the store moves it forward in one atomic step before it
// accepts a code, so a host whose users file copy is older cannot accept that code again.
std::string hotp_counter_key(const TokenRecord& token);

}  // namespace otp
