// Sending delivered codes (OTPValidationPipe delivered + OTPPrePipe): a new code for the
// attempt's user, its keyed hash in the state store, and the pre-pipe run in the background.
// Used when the page starts an attempt for a user the module knows (Require otp) and on
// {"type":"send"} / the page's "send a new code" button.
#pragma once

#include <cstdint>
#include <string>

#include "mod_otp/events/event_log.h"
#include "mod_otp/login/login_request.h"

enum class SendAnswer { sent, too_soon, limit_reached, locked, pipe_busy, pipe_error, store_error,
                        store_full };

struct SendResult {
    SendAnswer answer = SendAnswer::pipe_error;
    std::int64_t retry_after = 0;  // seconds, for too_soon / limit_reached / locked
};

// The machine-readable reason of a send that did not happen ("resend_too_soon", ...).
const char* send_error(SendAnswer answer);
// The page's message for it (a failing sender says the code could not be sent).
const char* send_page_error_key(SendAnswer answer);
// Its HTTP status: 429 for the limits and locks, 503 for busy or failing dependencies.
int send_http_status(SendAnswer answer);

// Issues and sends a code for `user` in `attempt`. A user the users file does not list gets the
// same answer, the same store work and the same time, and nothing is sent.
SendResult send_code(LoginRequest& login, const otp::LoginAttempt& attempt,
                     const std::string& user);

// The context exec programs and delivered codes get for a request of `login` in `attempt`
// (null: no attempt). The strings it points to live in `storage`.
struct PipeContextStorage {
    EventOrigin origin;
    std::string locale;
};
otp::PipeContext pipe_context(LoginRequest& login, const otp::LoginAttempt* attempt,
                              PipeContextStorage& storage);
