// The limits around an interactive login (SPEC §3): login attempts with a retry limit
// (OTPAllowedRetry) and a per-user lockout across attempts and addresses (OTPLockout), all in
// the shared StateStore so they hold across every httpd process and thread.
//
// Guesses are counted *before* the code is compared (admit), so N parallel wrong guesses can
// never get more comparisons than the limits allow; the outcome is then recorded
// (record_failure / record_success). Unknown user names are counted and locked exactly like
// real ones, so the answers never tell whether a user exists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/state_store.h"

namespace otp {

struct LimitPolicy {
    unsigned allowed_retry = 2;         // wrong codes per attempt; the n-th aborts it
    bool lockout = true;                // OTPLockout off: false
    unsigned lockout_failures = 5;      // failures within the window lock the user ...
    std::int64_t lockout_window = 300;  // ... seconds
    std::int64_t lockout_ban = 900;     // for this long
    // OTPAddressLockout (for ways in without attempts, i.e. Basic): failures from one client
    // address, whatever the user names, lock that address.
    bool address_lockout = true;
    unsigned address_failures = 20;
    std::int64_t address_window = 300;
    std::int64_t address_ban = 900;
    std::int64_t attempt_lifetime = 900;    // an unused attempt expires after this
    std::int64_t session_lifetime = 28800;  // how long a session revocation must be remembered
};

// A login attempt: sealed into the attempt cookie by the module (otp::AttemptClaims), so it
// costs the store nothing until its first guess makes its retry counter.
struct LoginAttempt {
    std::string id;            // random; names the retry counter
    std::string bound_user;    // Require otp: the first factor's user; empty for AuthType OTP
    std::string return_path;   // where to go after success
    std::int64_t created = 0;  // unix seconds; the attempt ends attempt_lifetime later
};

constexpr std::int64_t kAttemptClockSkew = 60;  // seconds an attempt may be "from the future"

enum class GateVerdict { proceed, retries_exhausted, locked, address_locked, store_error };

struct Admission {
    GateVerdict verdict = GateVerdict::store_error;
    std::int64_t retry_after = 0;      // seconds, for locked
    std::int64_t attempt_tries = 0;    // this guess's number in the attempt
    std::int64_t user_guesses = 0;     // this guess's number for the user in the window
    std::int64_t address_guesses = 0;  // ... for the client address (0: not counted)
    bool user_unlocked = false;        // a ban of this user ended since the last guess
    std::int64_t now = 0;              // the time admit() was given
};

struct FailureOutcome {
    int attempts_left = 0;
    bool attempt_aborted = false;  // this failure used up the attempt's retries
    bool user_locked = false;      // this failure locked the user
    bool address_locked = false;   // this failure locked the client address
    std::int64_t ban_seconds = 0;
    bool store_ok = true;
    StoreStatus store_failure = StoreStatus::ok;  // why store_ok is false: full or error
};

// Sending delivered codes (OTPPrePipe): at most one send per user every kResendInterval
// seconds, whatever the attempt (reloading pages or opening attempts sends no SMS flood),
// kMaxSendsPerAttempt per attempt, and a budget per client address (admit_send).
constexpr std::int64_t kResendInterval = 30;
constexpr std::int64_t kMaxSendsPerAttempt = 5;
// ... and at most this many per user in kSendBudgetWindow seconds (a fixed window).
constexpr std::int64_t kMaxSendsPerUserPerDay = 50;
constexpr std::int64_t kSendBudgetWindow = 86400;

struct SendAdmission {
    enum class Verdict { send, too_soon, limit_reached, locked, store_error };
    Verdict verdict = Verdict::store_error;
    std::int64_t retry_after = 0;  // seconds until a send is allowed again
};

class LoginLimits {
public:
    // `scope` separates users of different users files (the file's path).
    LoginLimits(StateStore& store, const LimitPolicy& policy, std::string scope);

    // A new attempt (random id); nullopt when there is no randomness. Stores nothing.
    std::optional<LoginAttempt> create_attempt(std::string_view bound_user,
                                               std::string_view return_path, std::int64_t now);
    // Whether an attempt read back from its cookie is well-formed and not expired.
    bool attempt_current(const LoginAttempt& attempt, std::int64_t now) const;

    // Counts one guess before its code is compared. `attempt` is null for ways in without
    // attempts (Basic); `address` is empty where no address limit applies. Every counter is
    // taken with increment_unless against its lock, so no interleaving of parallel requests
    // gets more comparisons than the limits.
    Admission admit(const LoginAttempt* attempt, std::string_view user, std::string_view address,
                    std::int64_t now);
    FailureOutcome record_failure(std::string_view user, std::string_view address,
                                  const Admission& admission, std::int64_t now);
    // A replayed code: refused, and it uses up the attempt's retry, but it gives the user and
    // the address their guess back. A code that was valid and already used reveals nothing
    // an attacker did not have, and Basic clients resend their last password on every request
    // after OTPBasicLinger ends: counting those would lock the user out for a resend.
    FailureOutcome record_replay(std::string_view user, std::string_view address,
                                 const Admission& admission);
    // An accepted code: the user's count starts afresh, the attempt ends, and the address
    // gets its guess back (the address lockout counts failures, not logins).
    // `forget_failures` false: the code proved nothing about the user (a two-way client code,
    // which anyone can make for themselves), so only this guess is given back and the
    // user's earlier failures still count towards the lockout.
    bool record_success(const LoginAttempt* attempt, std::string_view user,
                        std::string_view address, const Admission& admission,
                        bool forget_failures = true);

    // Whether a code may be sent to `user` in `attempt` now; when it may, the send is counted.
    // `attempt` null (the verify API without a clientTxnId): no per-attempt count.
    // Unknown users are limited exactly like known ones, so the answers never tell them apart.
    // With OTPAddressLockout on, one client `address` gets at most address_failures sends per
    // address_window, whatever the user names (no SMS flood over many names from one client).
    SendAdmission admit_send(const LoginAttempt* attempt, std::string_view user,
                             std::string_view address, std::int64_t now);

    // Sessions of `user` issued at or before the returned time are revoked (lockout).
    std::optional<std::int64_t> sessions_revoked_at(std::string_view user, bool* store_error);

    // Store keys, exposed for tests that inspect the store.
    std::string user_key(std::string_view user) const;
    std::string address_key(std::string_view address) const;

private:
    enum class LockTaken { taken, already, in_counter, failed };
    // Adds the lock `lock_kind` of `id` for `ban` seconds. When the store cannot hold it, the
    // guess counter `counter_kind` holds the lock in place instead (in_counter; *outcome says
    // what could not be stored), or nothing could be recorded (failed).
    LockTaken take_lock(const std::string& id, const char* lock_kind, const char* counter_kind,
                        std::int64_t count, std::int64_t ban, std::int64_t now,
                        FailureOutcome* outcome);
    // Lifetime of an attempt's retry counter from `now`: as long as its cookie can be shown.
    std::int64_t attempt_counter_ttl(const LoginAttempt& attempt, std::int64_t now) const;

    // What a refused guess leaves of its attempt: retries left, and whether it was the last.
    FailureOutcome attempt_outcome(const Admission& admission) const;

    StateStore& store_;
    LimitPolicy policy_;
    std::string scope_;
};

}  // namespace otp
