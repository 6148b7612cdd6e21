#include "verify/exec_pipe.h"

#include <utility>

#include "util/json_body.h"

namespace otp {
namespace {

ProgramReport report_of(const std::string& pipe, const ProgramSpec& program,
                        RunResult run) {
    ProgramReport report;
    report.pipe = pipe;
    report.program = program.path;
    report.duration_ms = run.duration_ms;
    report.stderr_lines = std::move(run.stderr_lines);
    switch (run.status) {
        case RunStatus::exited:
            report.exit_code = run.exit_code;
            report.outcome = "exit " + std::to_string(run.exit_code);
            report.failed = run.exit_code != 0 && run.exit_code != 1;
            break;
        case RunStatus::signaled:
            report.signal = run.signal;
            report.outcome = "signal " + std::to_string(run.signal);
            report.failed = true;
            break;
        case RunStatus::timed_out:
            report.signal = run.signal;
            report.outcome = "timeout";
            report.failed = true;
            break;
        case RunStatus::spawn_failed:
            report.outcome = "spawn failed: " + run.error;
            report.failed = true;
            report.started = false;
            break;
    }
    return report;
}

}  // namespace

std::string pipe_request_json(const PipeRequest& request) {
    JsonObject object;
    object.set("action", request.action);
    object.set("user", request.user);
    if (!request.otp.empty()) object.set("otp", request.otp);
    if (request.lifetime >= 0) object.set("lifetime", request.lifetime);
    if (const PipeContext* context = request.context) {
        if (!context->customer.empty()) object.set("customer", context->customer);
        if (!context->locale.empty()) object.set("locale", context->locale);
        if (!context->request_id.empty()) object.set("request_id", context->request_id);
        if (!context->location.empty()) object.set("location", context->location);
    }
    return object.dump() + "\n";
}

ExecPipe::ExecPipe(std::string name, ProgramSpec program, ConcurrencyLimit& limit)
    : name_(std::move(name)), program_(std::move(program)), limit_(limit) {}

ProgramReport ExecPipe::run(const PipeRequest& request) const {
    RunLimits limits;
    limits.timeout_ms = timeout_ms_;
    return report_of(name_, program_,
                     run_program(program_, pipe_request_json(request), limits, request.otp));
}

SendOutcome ExecPipe::send_outcome(const ProgramReport& report) {
    if (report.failed) return SendOutcome::failed;
    return report.exit_code == 0 ? SendOutcome::sent : SendOutcome::not_sent;
}

bool ExecPipe::reserve(PipeCapacity& capacity) const {
    capacity.slot = limit_.try_acquire();
    return capacity.slot.has_value();
}

ValidationResult ExecPipe::check(const PipeCall& call) const {
    ValidationResult result;
    result.pipe = name_.c_str();
    PipeCapacity own;
    PipeCapacity& capacity = call.capacity && call.capacity->slot ? *call.capacity : own;
    if (!capacity.slot && !reserve(capacity)) {
        result.outcome = ValidationOutcome::pipe_busy;
        result.detail = "OTPPipeMaxConcurrent programs are running already";
        return result;
    }
    PipeRequest request;
    request.action = "validate";
    request.user = call.user;
    request.otp = call.password;
    request.context = &call.context;
    ProgramReport report = run(request);
    if (report.failed) {
        result.outcome = ValidationOutcome::pipe_error;
        result.detail = "pipe program " + report.program + ": " + report.outcome;
    } else if (report.exit_code == 0) {
        result.outcome = ValidationOutcome::accepted;
    } else {
        result.outcome = ValidationOutcome::invalid_otp;
        result.detail = "the pipe program refused the code";
    }
    result.program = std::move(report);
    return result;
}

}  // namespace otp
