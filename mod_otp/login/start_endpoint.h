// POST .otp/start (SPEC §3.2): the JSON protocol and the page's form post. Checks the
// request, finds or starts the login attempt, counts the guess before comparing the code, and
// answers COMPLETED (with a new session), or the precise error.
#pragma once

#include "mod_otp/login/login_request.h"

int serve_start(LoginRequest& login);
