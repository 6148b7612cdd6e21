// Validation pipes (SPEC §1, OTPValidationPipe): what decides whether a code is good once the
// verifier has admitted it. The verifier knows pipes, not token kinds: the users file's tokens
// (totp, hotp), codes the server generated and sent (delivered) and external programs (exec)
// all answer the same PipeCall with a ValidationResult. A location's pipe is resolved while
// the configuration is read; pipes hold no per-request state, so a configuration can point at
// one for as long as the process lives.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "exec/concurrency_limit.h"
#include "verify/code_validator.h"

namespace otp {

class HmacSha256Key;

// What a pipe may need besides the code: the request's context for exec programs (their
// JSON) and, for delivered codes, the key of their hashes.
struct PipeContext {
    std::string_view customer;    // CUSTOMER_IDENTIFIER, may be empty
    std::string_view locale;      // the language the person sees
    std::string_view request_id;  // the request's id in events and logs
    std::string_view location;    // the protected location
    // Delivered codes: the key of their hashes; null where no code can have been sent
    // (Basic has no way to ask for one).
    const HmacSha256Key* code_key = nullptr;
};

// What one call of a pipe holds while it runs: an exec pipe's OTPPipeMaxConcurrent slot.
struct PipeCapacity {
    std::optional<ConcurrencyLimit::Slot> slot;
};

// One admitted guess, as the pipe sees it.
struct PipeCall {
    const UsersSource& users;
    StateStore& store;
    const OtpPolicy& policy;
    std::string_view user;
    std::string_view password;  // the code, or PIN + code (pin_use)
    PinUse pin_use = PinUse::not_used;
    std::int64_t now = 0;
    std::string_view client_address;
    const PipeContext& context;
    PipeCapacity* capacity = nullptr;  // reserved before admission; null: check() takes its own
};

class Pipe {
public:
    virtual ~Pipe() = default;
    // The name events and logs show ("totp", "hotp", "delivered", an OTPPipe's name).
    virtual const char* name() const = 0;
    // Compares the call's code for its user. Called only for a guess that admission counted.
    virtual ValidationResult check(const PipeCall& call) const = 0;
    // Takes what a call needs to run, before admission counts the guess, so a guess refused
    // for want of capacity (pipe_busy) costs no retry and no lockout count. false: busy.
    virtual bool reserve(PipeCapacity&) const { return true; }
    // Whether the pipe reads the users file's tokens (the exec pipes do not: the program
    // knows its users).
    virtual bool uses_tokens() const { return true; }
};

// The built-in pipes by their OTPValidationPipe name: "totp" (time-based tokens only), "hotp"
// (counter-based only) and "delivered" (codes generated and sent by a pre-pipe); nullptr for
// any other name.
const Pipe* builtin_pipe(std::string_view name);
// The default: each of the user's tokens by its own type.
const Pipe& token_type_pipe();
// The "delivered" pipe.
const Pipe& delivered_pipe();

}  // namespace otp
