// Validation pipes (SPEC §1, OTPValidationPipe): what decides whether a code is good once the
// verifier has admitted it. The verifier knows pipes, not token kinds; a location's pipe is
// resolved once, while the configuration is read. Pipes are stateless singletons, so a
// configuration can point at one for as long as the process lives.
#pragma once

#include <cstdint>
#include <string_view>

#include "verify/code_validator.h"

namespace otp {

class Pipe {
public:
    virtual ~Pipe() = default;
    // The name events and logs show ("totp", "hotp", "tokens").
    virtual const char* name() const = 0;
    // Compares `password` for `user`. Called only for a guess that admission has counted.
    virtual ValidationResult check(const UsersSource& users, StateStore& store,
                                   const OtpPolicy& policy, std::string_view user,
                                   std::string_view password, PinUse pin_use, std::int64_t now,
                                   std::string_view client_address) const = 0;
};

// The built-in pipes by their OTPValidationPipe name: "totp" (time-based tokens only) and
// "hotp" (counter-based only); nullptr for any other name.
const Pipe* builtin_pipe(std::string_view name);
// The default: each of the user's tokens by its own type.
const Pipe& token_type_pipe();

}  // namespace otp
