#include "mod_otp/pipes/program_events.h"

#include <string>

APLOG_USE_MODULE(otp);

void otp_report_program(const EventOrigin& origin, std::string_view user,
                        const otp::ProgramReport& report) {
    server_rec* s = origin.server;
    for (const std::string& line : report.stderr_lines)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, "OTPPipe %s (%s): stderr: %s",
                     report.pipe.c_str(), report.program.c_str(), line.c_str());
    if (!report.failed) return;
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, s,
                 "OTPPipe %s (%s) failed for user \"%s\": %s after %" APR_INT64_T_FMT
                 " ms [request %s]",
                 report.pipe.c_str(), report.program.c_str(), std::string(user).c_str(),
                 report.outcome.c_str(), static_cast<apr_int64_t>(report.duration_ms),
                 origin.request_id.c_str());
    // A program ends by an exit status or by a signal (a timeout's SIGKILL too), never both.
    const bool by_signal = report.signal != 0;
    otp_emit_event(origin, otp::event::kPipeError, user,
                   {{"program", report.program},
                    {"outcome", report.outcome},
                    {by_signal ? "signal" : "exit_status",
                     static_cast<long long>(by_signal ? report.signal : report.exit_code)},
                    {"duration_ms", static_cast<long long>(report.duration_ms)}},
                   report.pipe.c_str());
}
