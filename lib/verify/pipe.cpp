#include "verify/pipe.h"

#include <optional>

namespace otp {
namespace {

// The users file's tokens, optionally only those of one kind.
class TokenPipe final : public Pipe {
public:
    TokenPipe(const char* name, std::optional<TokenKind> only) : name_(name), only_(only) {}
    const char* name() const override { return name_; }
    ValidationResult check(const UsersSource& users, StateStore& store, const OtpPolicy& policy,
                           std::string_view user, std::string_view password, PinUse pin_use,
                           std::int64_t now, std::string_view client_address) const override {
        return validate_code(users, store, policy, only_, user, password, pin_use, now,
                             client_address);
    }

private:
    const char* name_;
    std::optional<TokenKind> only_;
};

const TokenPipe kTotp("totp", TokenKind::time);
const TokenPipe kHotp("hotp", TokenKind::counter);
const TokenPipe kByTokenType("tokens", std::nullopt);

}  // namespace

const Pipe* builtin_pipe(std::string_view name) {
    if (name == "totp") return &kTotp;
    if (name == "hotp") return &kHotp;
    return nullptr;
}

const Pipe& token_type_pipe() { return kByTokenType; }

}  // namespace otp
