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
};

// A protected request without a session: starts an attempt, answers with the page.
int require_login(LoginRequest& login);
// The page for `attempt`; `at` says whether it answers the protected URL or a form post.
int serve_page(LoginRequest& login, const otp::LoginAttempt& attempt, Endpoint at,
               const PageOptions& options);
