// The interactive login (SPEC §3): AuthType OTP (the OTP is the login) and Require otp (the
// OTP is a second factor after any other authentication), the OTP entry page, the
// .otp/start and .otp/logout endpoints, attempts, retry limits, lockout and sessions.
#pragma once

#include "mod_otp/http/apache_headers.h"

// check_authn hook for AuthType OTP.
int otp_login_check_authn(request_rec* r);
// note_auth_failure hook: AuthType OTP sends no challenge header.
int otp_login_note_auth_failure(request_rec* r, const char* auth_type);
// Handler (run first) that answers the requests `Require otp` marked for the login login.
int otp_login_handler(request_rec* r);

extern const authz_provider otp_authz_provider;
