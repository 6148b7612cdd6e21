// Sending delivered codes (OTPValidationPipe delivered + OTPPrePipe): a new code for the
// attempt's user, its keyed hash in the state store, and the pre-pipe run in the background.
// Used when the page starts an attempt for a user the module knows (Require otp), on
// {"type":"send"} / the page's "send a new code" button, and by the verify API's generate.
#pragma once

#include <cstdint>
#include <string>

#include "mod_otp/events/event_log.h"
#include "mod_otp/login/login_request.h"
#include "mod_otp/pipes/pipe_context.h"
#include "util/secure_wipe.h"

enum class SendAnswer { sent, too_soon, limit_reached, locked, pipe_busy, pipe_error, store_error,
                        store_full };

struct SendResult {
    SendAnswer answer = SendAnswer::pipe_error;
    std::int64_t retry_after = 0;  // seconds, for too_soon / limit_reached / locked
    std::string code;              // CodeIssue::return_code: the code; wiped with the result
    SendResult() = default;
    SendResult(SendAnswer a, std::int64_t retry) : answer(a), retry_after(retry) {}
    SendResult(const SendResult&) = delete;
    SendResult& operator=(const SendResult&) = delete;
    SendResult(SendResult&&) = default;
    ~SendResult() { otp::secure_wipe(code); }
};

// The machine-readable reason of a send that did not happen ("resend_too_soon", ...).
const char* send_error(SendAnswer answer);
// The page's message for it (a failing sender says the code could not be sent).
const char* send_page_error_key(SendAnswer answer);
// Its HTTP status: 429 for the limits and locks, 503 for busy or failing dependencies.
int send_http_status(SendAnswer answer);

// One code to issue.
struct CodeIssue {
    const otp::LoginAttempt* attempt = nullptr;  // its kMaxSendsPerAttempt applies; null: none
    std::string user;
    std::string address;      // OTPAddressLockout's send budget; empty: none (the APIs)
    PipeCallContext context;  // for the pre-pipe and the events
    // OTPVerifyReturnsCode: the code comes back in SendResult::code for the caller to deliver,
    // and no pre-pipe runs.
    bool return_code = false;
};

// Issues a code for `issue.user`: the limits, the code's keyed hash in the state store, and
// the pre-pipe queued (or the code returned). A user the users file does not list gets the
// same answer, the same store work and the same time, and nothing is sent.
SendResult send_code(LoginRequest& login, const CodeIssue& issue);

// The request a login-flow code comes from: its event origin and the page's language.
PipeCallContext login_call_context(LoginRequest& login);

// send_code for the login flow: the attempt's limit, the client address's budget, the
// page's language.
SendResult send_login_code(LoginRequest& login, const otp::LoginAttempt& attempt,
                           const std::string& user);
