#include "verify/verifier.h"

#include <utility>

namespace otp {
namespace {

Verdict verdict_of(ValidationOutcome outcome) {
    switch (outcome) {
        case ValidationOutcome::accepted:
            return Verdict::accepted;
        case ValidationOutcome::invalid_otp:
            return Verdict::invalid_otp;
        case ValidationOutcome::replay:
            return Verdict::replay;
        case ValidationOutcome::unknown_user:
            return Verdict::unknown_user;
        case ValidationOutcome::store_error:
            return Verdict::store_error;
        case ValidationOutcome::expired:
            return Verdict::expired;
        case ValidationOutcome::pipe_error:
            return Verdict::pipe_error;
        case ValidationOutcome::pipe_busy:
            return Verdict::pipe_busy;
    }
    return Verdict::invalid_otp;
}

}  // namespace

const char* verdict_reason(Verdict verdict) {
    switch (verdict) {
        case Verdict::accepted:
            return "accepted";
        case Verdict::invalid_otp:
            return "invalid_otp";
        case Verdict::replay:
            return "replay";
        case Verdict::unknown_user:
            return "unknown_user";
        case Verdict::locked:
        case Verdict::address_locked:
            return "locked";
        case Verdict::retries_exhausted:
            return "retries_exhausted";
        case Verdict::store_error:
            return "store_error";
        case Verdict::store_full:
            return "store_full";
        case Verdict::expired:
            return "expired";
        case Verdict::pipe_error:
            return "pipe_error";
        case Verdict::pipe_busy:
            return "pipe_busy";
    }
    return "invalid_otp";
}

Verdict store_failure_verdict(const StateStore& store) {
    return store.last_failure() == StoreStatus::full ? Verdict::store_full : Verdict::store_error;
}

Verifier::Verifier(StateStore& store, const LimitPolicy& limits, std::string users_namespace)
    : store_(store), limits_(store, limits, std::move(users_namespace)) {}

Verification Verifier::verify(const UsersSource& users, const Pipe& pipe, const OtpPolicy& policy,
                              const Guess& guess) {
    Verification v;
    // Capacity first: a guess the pipe has no room for is refused before anything counts it.
    PipeCapacity capacity;
    if (!pipe.reserve(capacity)) {
        v.verdict = Verdict::pipe_busy;
        v.pipe = pipe.name();
        v.detail = "OTPPipeMaxConcurrent programs are running already";
        return v;
    }
    const Admission admission = limits_.admit(guess.attempt, guess.user, guess.address, guess.now);
    v.user_unlocked = admission.user_unlocked;
    switch (admission.verdict) {
        case GateVerdict::proceed:
            break;
        case GateVerdict::locked:
            v.verdict = Verdict::locked;
            v.retry_after = admission.retry_after;
            return v;
        case GateVerdict::address_locked:
            v.verdict = Verdict::address_locked;
            v.retry_after = admission.retry_after;
            return v;
        case GateVerdict::retries_exhausted:
            v.verdict = Verdict::retries_exhausted;
            v.attempts_left = 0;
            return v;
        case GateVerdict::store_error:
            v.verdict = store_failure_verdict(store_);
            v.detail = v.verdict == Verdict::store_full
                           ? "no room in the state store for the attempt or lockout counters"
                           : "attempt or lockout counters unavailable";
            return v;
    }

    static const PipeContext kNoContext;
    const PipeCall call{users,
                        store_,
                        policy,
                        guess.user,
                        guess.password,
                        guess.pin_use,
                        guess.now,
                        guess.client_address,
                        guess.context ? *guess.context : kNoContext,
                        &capacity};
    ValidationResult result = pipe.check(call);
    // What the comparison led to (a lock, a revocation, a used attempt) gets the store's whole
    // timeout, whatever the admission waited.
    store_.renew_timeout();
    v.compared = true;
    v.pipe = result.pipe[0] ? result.pipe : pipe.name();
    v.detail = std::move(result.detail);
    v.program = std::move(result.program);
    v.verdict = verdict_of(result.outcome);
    // No token decided for a name the users file does not list: events name no pipe (the
    // comparison made for it only keeps the time alike).
    if (v.verdict == Verdict::unknown_user) v.pipe = "";
    if (v.verdict == Verdict::store_error) v.verdict = store_failure_verdict(store_);
    if (v.verdict == Verdict::accepted) {
        if (!limits_.record_success(guess.attempt, guess.user, guess.address, admission,
                                    guess.proves_user)) {
            v.state_not_recorded = true;
            v.detail = "could not mark the login attempt used in the state store";
        }
        return v;
    }
    // A failing store or users file is not the guesser's fault: nothing more is counted (the
    // guess itself was, by admission).
    if (v.verdict == Verdict::store_error || v.verdict == Verdict::store_full) return v;
    // A program that ran saw the code, whatever its exit: its failure counts as a wrong code
    // (else a validator that reports wrong codes as errors would allow endless guessing). One
    // that never started (or never got a slot) saw nothing: like a replay, the guess ends the
    // attempt's retry and is given back to the user and the address.
    const bool never_ran = v.verdict == Verdict::pipe_busy ||
                           (v.verdict == Verdict::pipe_error && v.program && !v.program->started);
    // An expired delivered code was the right one: whoever sent it has the phone or mailbox.
    // Like a replay, it ends the attempt's retry but gives the user and address their guess.
    const FailureOutcome failure =
        v.verdict == Verdict::replay || v.verdict == Verdict::expired || never_ran
            ? limits_.record_replay(guess.user, guess.address, admission)
            : limits_.record_failure(guess.user, guess.address, admission, guess.now);
    if (guess.attempt) v.attempts_left = failure.attempts_left;
    v.attempt_aborted = failure.attempt_aborted;
    v.user_locked = failure.user_locked;
    v.address_locked_now = failure.address_locked;
    v.ban_seconds = failure.ban_seconds;
    if (!failure.store_ok) {
        // The refusal stands, and a lockout holds through its guess counter (LoginLimits::
        // record_failure); what could not be recorded besides is reported.
        v.state_not_recorded = true;
        v.detail += v.detail.empty() ? "" : "; ";
        v.detail += failure.store_failure == StoreStatus::full
                        ? "no room in the state store (store_full) for the lock or the session "
                          "revocation; the guess counter holds the lockout for the ban"
                        : "could not record the failure in the state store";
    }
    return v;
}

}  // namespace otp
