// The authn provider "otp" for AuthBasicProvider: password = PIN + code.
#pragma once

#include "mod_otp/http/apache_headers.h"

extern const authn_provider otp_authn_provider;

// check_authn hook, run before mod_auth_basic: Basic credentials without a colon (PIN and
// code typed into the user name field) in a section where mod_otp has a users file are
// refused here, because mod_auth_basic would log the "user name" (which may be a code).
int otp_basic_check_authn(request_rec* r);
