#include "verify/pipe.h"

#include <optional>

#include "verify/delivered_code.h"

namespace otp {
namespace {

// The users file's tokens, optionally only those of one kind.
class TokenPipe final : public Pipe {
public:
    TokenPipe(const char* name, std::optional<TokenKind> only) : name_(name), only_(only) {}
    const char* name() const override { return name_; }
    ValidationResult check(const PipeCall& call) const override {
        return validate_code(call.users, call.store, call.policy, only_, call.user, call.password,
                             call.pin_use, call.now, call.client_address);
    }

private:
    const char* name_;
    std::optional<TokenKind> only_;
};

// Codes the server generated for the call's scope (OTPPrePipe sent them). The users file says
// who the module knows: a code is only ever sent to, and accepted for, a user it lists.
class DeliveredPipe final : public Pipe {
public:
    const char* name() const override { return "delivered"; }
    ValidationResult check(const PipeCall& call) const override {
        ValidationResult result;
        result.pipe = "delivered";
        if (!call.context.code_key) {
            result.outcome = ValidationOutcome::pipe_error;
            result.detail =
                "delivered codes are sent from the page or the start endpoint; this way in "
                "cannot ask for one";
            return result;
        }
        const bool known = call.users.index.has_user(call.user);
        DeliveredCodes codes(call.store, *call.context.code_key);
        // An unknown user's record holds a code nobody was sent; it is compared all the same,
        // so the time taken does not tell, and never accepted.
        const CodeCheck checked =
            codes.check(call.users.path, call.user, call.password, call.policy.delivered,
                        call.now, /*take_use=*/known);
        if (!known) {
            result.outcome = ValidationOutcome::unknown_user;
            result.detail = "no such user in the users file";
            return result;
        }
        switch (checked) {
            case CodeCheck::accepted:
                result.outcome = ValidationOutcome::accepted;
                break;
            case CodeCheck::invalid:
                result.outcome = ValidationOutcome::invalid_otp;
                result.detail = "wrong code (or none was sent)";
                break;
            case CodeCheck::expired:
                result.outcome = ValidationOutcome::expired;
                result.detail = "the code's lifetime or its allowed uses are over";
                break;
            case CodeCheck::store_error:
                result.outcome = ValidationOutcome::store_error;
                result.detail = "delivered code record unavailable";
                break;
        }
        return result;
    }
};

const TokenPipe kTotp("totp", TokenKind::time);
const TokenPipe kHotp("hotp", TokenKind::counter);
const TokenPipe kByTokenType("tokens", std::nullopt);
const DeliveredPipe kDelivered;

}  // namespace

const Pipe* builtin_pipe(std::string_view name) {
    if (name == "totp") return &kTotp;
    if (name == "hotp") return &kHotp;
    if (name == "delivered") return &kDelivered;
    return nullptr;
}

const Pipe& token_type_pipe() { return kByTokenType; }
const Pipe& delivered_pipe() { return kDelivered; }

}  // namespace otp
