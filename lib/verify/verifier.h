// The one verifier every way in passes through (SPEC §7): the Basic provider, the start
// endpoint and, next, the verify and two-way APIs. One guess goes
//   admission (the attempt's retry limit where there is an attempt; the user's lockout always;
//   the client address's lockout where asked) -> the pipe -> recording the outcome,
// and the caller turns the Verification into its answer and its events. Admission counts a
// guess before its code is compared, atomically across processes (LoginLimits), so parallel
// requests never get more comparisons than the limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "login/login_limits.h"
#include "verify/code_validator.h"
#include "verify/pipe.h"

namespace otp {

struct Guess {
    std::string_view user;
    std::string_view password;  // the code, or PIN + code (pin_use)
    PinUse pin_use = PinUse::not_used;
    const LoginAttempt* attempt = nullptr;  // its retry limit applies; null: no attempt
    std::string_view address;               // counted by the address lockout; empty: not
    std::string_view client_address;        // recorded where the users file keeps it (LASTIP)
    std::int64_t now = 0;
    const PipeContext* context = nullptr;  // for exec programs and delivered codes; null: none
    // Whether an accepted code proves the user is who they say, so their earlier failures are
    // forgotten (a login). The two-way steps accept codes anyone can make a flow for: there
    // an accepted code must not wipe a sweeper's failures.
    bool proves_user = true;
};

enum class Verdict {
    accepted,
    invalid_otp,
    replay,
    unknown_user,
    locked,             // the user is locked out (before or because of this guess)
    address_locked,     // the client address is locked out
    retries_exhausted,  // the attempt was aborted
    store_error,        // fail closed: state store or users file unavailable
    store_full,         // fail closed: the state store had no room for the guess's records
    expired,            // a delivered code past its lifetime or its allowed uses
    pipe_error,         // fail closed: the exec program failed or did not answer in time
    pipe_busy,          // fail closed: OTPPipeMaxConcurrent programs were running already
};

struct Verification {
    Verdict verdict = Verdict::store_error;
    const char* pipe = "";            // the pipe that decided; "" when no code was compared
    std::string detail;               // for the error log; never a code, PIN or secret
    bool compared = false;            // the pipe was asked (admission let the guess through)
    int attempts_left = -1;           // in the attempt after a refused code; -1: no attempt
    std::int64_t retry_after = 0;     // seconds, for locked / address_locked
    bool attempt_aborted = false;     // this guess used up the attempt's retries
    bool user_locked = false;         // this guess locked the user (sessions revoked)
    bool address_locked_now = false;  // this guess locked the client address
    std::int64_t ban_seconds = 0;
    bool user_unlocked = false;  // a ban of this user ended since the last guess
    // The verdict stands, but something that should have followed it could not be recorded
    // (a lock record, a session revocation, the used-up attempt): say so in an event.
    bool state_not_recorded = false;
    std::optional<ProgramReport> program;  // exec pipes: how the program ran
};

// The SPEC §6 reason of a refusal ("invalid_otp", "locked", ...); "locked" for address locks.
// The refusal for a store operation that just failed on `store`: store_full when it had no
// room, else store_error. Every way in that meets a failing store answers with this.
Verdict store_failure_verdict(const StateStore& store);

const char* verdict_reason(Verdict verdict);

class Verifier {
public:
    // `users_namespace` separates users of different users files (the file's path).
    Verifier(StateStore& store, const LimitPolicy& limits, std::string users_namespace);

    Verification verify(const UsersSource& users, const Pipe& pipe, const OtpPolicy& policy,
                        const Guess& guess);

    LoginLimits& limits() { return limits_; }

private:
    StateStore& store_;
    LoginLimits limits_;
};

}  // namespace otp
