// What one verified guess tells the event log and the error log, the same for every way in
// (Basic, the start endpoint, the APIs): WEB_100019 or WEB_100020 with its reason, and the
// attempt-aborted, locked, unlocked and store-error events that came with it.
#pragma once

#include <string_view>

#include "mod_otp/events/event_log.h"
#include "mod_otp/http/apache_headers.h"
#include "verify/verifier.h"

// Writes the events (as coming from `origin`) and error-log lines of `verification`; a lockout
// also clears every process's session cache (the user's sessions end now).
void otp_report_verification(request_rec* r, const EventOrigin& origin, std::string_view user,
                             const otp::Verification& verification);
