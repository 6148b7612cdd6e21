// What a pipe program's run tells the error log and the event log, for validations and
// sends alike: each stderr line (already truncated and redacted) as a warning, and for a
// failed run (exit status other than 0 and 1, a signal, the timeout, no spawn) the
// "OTP pipe error" event with the program, how it ended and how long it took.
#pragma once

#include <string_view>

#include "mod_otp/events/event_log.h"
#include "verify/code_validator.h"

void otp_report_program(const EventOrigin& origin, std::string_view user,
                        const otp::ProgramReport& report);
