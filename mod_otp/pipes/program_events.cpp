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
    if (report.signal)
        otp_emit_event(origin, otp::event::kPipeError, user,
                       {{"program", report.program},
                        {"outcome", report.outcome},
                        {"signal", static_cast<long long>(report.signal)},
                        {"duration_ms", static_cast<long long>(report.duration_ms)}},
                       report.pipe.c_str());
    else
        otp_emit_event(origin, otp::event::kPipeError, user,
                       {{"program", report.program},
                        {"outcome", report.outcome},
                        {"exit_status", static_cast<long long>(report.exit_code)},
                        {"duration_ms", static_cast<long long>(report.duration_ms)}},
                       report.pipe.c_str());
}
