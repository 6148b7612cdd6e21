// Exec pipes (SPEC §1 "exec", OTPPipe name exec /path/program [args]): an external program
// that validates codes (action "validate") or sends generated ones (action "send", as an
// OTPPrePipe). It gets one JSON object on stdin and answers by exit status only:
// 0 = valid / sent, 1 = invalid / nobody to send to, anything else, a signal or no answer
// within the timeout = pipe error. lib/exec runs it (no shell, clean environment, its own
// process group, killed with its children at the timeout, always reaped); this file speaks
// the protocol and turns the run into a ValidationResult or a SendResult.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exec/concurrency_limit.h"
#include "exec/program_runner.h"
#include "verify/pipe.h"

namespace otp {

// The environment every pipe program gets, and nothing else.
inline constexpr char kPipeProgramPath[] = "PATH=/usr/bin:/bin";

struct PipeRequest {
    const char* action = "validate";  // "validate" or "send"
    std::string_view user;
    std::string_view otp;               // the code (validate: typed; send: generated)
    std::int64_t lifetime = -1;         // send: seconds the code is valid; < 0: not sent
    const PipeContext* context = nullptr;
};

// The one JSON object on the program's stdin:
// {"action":…,"user":…,"otp":…,"lifetime":…,"customer":…,"locale":…,"request_id":…,
//  "location":…}; lifetime only when set, the context's members only when not empty.
std::string pipe_request_json(const PipeRequest& request);

enum class SendOutcome { sent, not_sent, failed };

class ExecPipe final : public Pipe {
public:
    // `limit` (the server's OTPPipeMaxConcurrent) must outlive the pipe.
    ExecPipe(std::string name, ProgramSpec program, ConcurrencyLimit& limit);

    const char* name() const override { return name_.c_str(); }
    bool uses_tokens() const override { return false; }
    // One OTPPipeMaxConcurrent slot; false when all are taken.
    bool reserve(PipeCapacity& capacity) const override;
    // Runs the program with action "validate" in the call's reserved slot (or one it takes:
    // pipe_busy at once when none is free).
    ValidationResult check(const PipeCall& call) const override;

    // OTPPipeTimeout, set once the server's configuration is complete.
    void set_timeout_ms(std::int64_t timeout_ms) { timeout_ms_ = timeout_ms; }
    std::int64_t timeout_ms() const { return timeout_ms_; }
    ConcurrencyLimit& limit() const { return limit_; }
    const ProgramSpec& program() const { return program_; }

    // Runs the program for `request` in a slot the caller took from limit(). `report` tells
    // how it ran; the code is redacted from its stderr lines.
    ProgramReport run(const PipeRequest& request) const;
    // A send: sent on exit 0, not_sent on exit 1 (nobody to send to), failed otherwise.
    static SendOutcome send_outcome(const ProgramReport& report);

private:
    std::string name_;
    ProgramSpec program_;
    ConcurrencyLimit& limit_;
    std::int64_t timeout_ms_ = 5000;
};

}  // namespace otp
