#include "twoway/two_way_steps.h"

#include <memory>

#include "users/users_file.h"

namespace otp {
namespace {

// The portal user typed a client code: the code is right when it names a pending flow.
class ClientCodePipe final : public Pipe {
public:
    ClientCodePipe(TwoWayFlows& flows, const TwoWayPolicy& policy, TwoWayEnter* out)
        : flows_(flows), policy_(policy), out_(out) {}
    const char* name() const override { return "two-way"; }
    bool uses_tokens() const override { return false; }
    ValidationResult check(const PipeCall& call) const override {
        *out_ = flows_.enter(policy_, call.password, call.user, call.now);
        ValidationResult result;
        result.pipe = "two-way";
        switch (out_->status) {
            case TwoWayStatus::ok:
                result.outcome = ValidationOutcome::accepted;
                break;
            case TwoWayStatus::unrecoverable:
                result.outcome = std::string_view(out_->reason) == "invalid_otp"
                                     ? ValidationOutcome::invalid_otp
                                 : std::string_view(out_->reason) == "replay"
                                     ? ValidationOutcome::replay
                                     : ValidationOutcome::expired;
                result.detail = std::string("client code: ") + out_->reason;
                break;
            default:
                result.outcome = ValidationOutcome::store_error;
                result.detail = "two-way flow records unavailable";
                break;
        }
        return result;
    }

private:
    TwoWayFlows& flows_;
    const TwoWayPolicy& policy_;
    TwoWayEnter* out_;
};

// The app sent the challenge response of a coupled flow.
class ResponsePipe final : public Pipe {
public:
    ResponsePipe(TwoWayFlows& flows, const TwoWayLookup& flow) : flows_(flows), flow_(flow) {}
    const char* name() const override { return "two-way"; }
    bool uses_tokens() const override { return false; }
    ValidationResult check(const PipeCall& call) const override {
        ValidationResult result;
        result.pipe = "two-way";
        bool replay = false, store_failed = false;
        if (flows_.finish(flow_, call.password, call.now, &replay, &store_failed)) {
            result.outcome = ValidationOutcome::accepted;
        } else if (store_failed) {
            result.outcome = ValidationOutcome::store_error;
            result.detail = "two-way flow record unavailable";
        } else if (replay) {
            result.outcome = ValidationOutcome::replay;
            result.detail = "the flow was completed by another request";
        } else {
            result.outcome = ValidationOutcome::invalid_otp;
            result.detail = "wrong challenge response";
        }
        return result;
    }

private:
    TwoWayFlows& flows_;
    const TwoWayLookup& flow_;
};

// Two-way steps read no users file: the portal's login decided who the user is.
const UsersSource& no_users() {
    static const std::string kName = "(two-way)";
    static const std::unique_ptr<UsersIndex> kIndex = [] {
        std::string error;
        return UsersIndex::parse("", kName, UsersFileLayout::oath, &error);
    }();
    static const UsersSource kSource{*kIndex, kName};
    return kSource;
}

// What every step does with a verdict that is not the step's own.
bool common_refusal(const Verification& v, TwoWayStep* step) {
    switch (v.verdict) {
        case Verdict::locked:
        case Verdict::address_locked:
            step->status = TwoWayStatus::rate_limited;
            step->reason = "locked";
            step->retry_after = v.retry_after;
            return true;
        case Verdict::store_error:
        case Verdict::store_full:
            step->status = TwoWayStatus::store_error;
            step->reason = v.verdict == Verdict::store_full ? "store_full" : "store_error";
            return true;
        default:
            return false;
    }
}

}  // namespace

TwoWayStep enter_client_code(TwoWayFlows& flows, Verifier& verifier, const TwoWayPolicy& policy,
                             std::string_view code, std::string_view user, std::int64_t now) {
    TwoWayStep step;
    TwoWayEnter entered;
    entered.reason = "expired";
    ClientCodePipe pipe(flows, policy, &entered);
    Guess guess;
    guess.user = user;
    guess.password = code;
    guess.now = now;
    guess.proves_user = false;  // anyone can make a flow and enter its code
    static const OtpPolicy kNoTokens;
    step.verification = verifier.verify(no_users(), pipe, kNoTokens, guess);
    step.verified = true;
    step.flow_ref = entered.flow_ref;
    const Verification& v = step.verification;
    if (common_refusal(v, &step)) return step;
    if (v.verdict == Verdict::accepted) {
        step.status = TwoWayStatus::ok;
        step.response = std::move(entered.response);
        return step;
    }
    step.status = TwoWayStatus::unrecoverable;
    step.reason = entered.reason[0] ? entered.reason : "invalid_otp";
    return step;
}

TwoWayStep complete_flow(TwoWayFlows& flows, Verifier& verifier, const TwoWayPolicy& policy,
                         std::string_view flow, std::string_view response,
                         std::string_view app_location, std::int64_t now) {
    TwoWayStep step;
    const TwoWayLookup found = flows.find_coupled(flow, app_location, now);
    step.flow_ref = flows.flow_ref(flow);
    if (found.status != TwoWayStatus::ok) {
        step.status = found.status;
        step.reason = found.status == TwoWayStatus::store_error
                          ? (found.store_full ? "store_full" : "store_error")
                          : found.reason;
        return step;
    }
    step.user = found.user;
    // The flow is the attempt: its retry counter is OTPAllowedRetry per flow.
    const LoginAttempt attempt{found.flow_hash.substr(0, 24), found.user, "",
                               found.expires - policy.lifetime};
    ResponsePipe pipe(flows, found);
    Guess guess;
    guess.user = found.user;
    guess.password = response;
    guess.attempt = &attempt;
    guess.now = now;
    guess.proves_user = false;  // the coupled user may be the one who made the flow
    static const OtpPolicy kNoTokens;
    step.verification = verifier.verify(no_users(), pipe, kNoTokens, guess);
    step.verified = true;
    const Verification& v = step.verification;
    if (common_refusal(v, &step)) return step;
    switch (v.verdict) {
        case Verdict::accepted:
            flows.forget(found.flow_hash);
            step.status = TwoWayStatus::ok;
            return step;
        case Verdict::invalid_otp:
            if (!v.attempt_aborted) {
                step.status = TwoWayStatus::wrong_response;
                step.attempts_left = v.attempts_left;
                return step;
            }
            [[fallthrough]];
        case Verdict::retries_exhausted:
            flows.forget(found.flow_hash);
            step.status = TwoWayStatus::unrecoverable;
            step.reason = "retries_exhausted";
            return step;
        default:
            step.status = TwoWayStatus::unrecoverable;
            step.reason = "replay";
            return step;
    }
}

}  // namespace otp
