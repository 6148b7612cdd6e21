// The OTP entry page as an answer: a new login attempt and the page (or, for JSON clients,
// 401 OTP_REQUIRED), and the page again with an error after a form post.
#pragma once

#include <string>

#include "mod_otp/login/login_request.h"

struct PageOptions {
    int status = HTTP_UNAUTHORIZED;
    std::string error_key;   // a translation key, or empty
    int attempts_left = -1;  // < 0: not shown
    bool disabled = false;   // the attempt is over
    std::string user;        // prefill of the user name field
    std::string notice_key;  // a non-error notice (otp_validation.code_sent)
    bool code_sent = false;  // delivered codes: a code went to the attempt's user
    std::int64_t retry_after = 0;  // a resend was refused: seconds to wait
};

// A protected request without a session: starts an attempt, answers with the page.
int require_login(LoginRequest& login);
// The page for `attempt`; `at` says whether it answers the protected URL or a form post.
int serve_page(LoginRequest& login, const otp::LoginAttempt& attempt, Endpoint at,
               const PageOptions& options);
