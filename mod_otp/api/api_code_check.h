// One code of the verify API through the one verifier (SPEC §7): the transaction's retry
// limit (when the caller named one), the user's lockout, the location's pipe, and the same
// events and error-log lines as every other way in. No client-address lockout: the caller is
// one back end speaking for all its users, and locking its address would lock them all out.
#pragma once

#include <string>

#include "mod_otp/api/api_request.h"
#include "verify/verifier.h"

otp::Verification check_api_code(ApiRequest& api, const std::string& user,
                                 const std::string& code, const otp::LoginAttempt* transaction);
