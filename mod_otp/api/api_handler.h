// SetHandler otp-verify: the verify API for back-end systems (SPEC §3 "Verify API"). Checks
// what every call shares (POST, no cross-site browser, the content type, the body's size),
// then hands the body to the call the path names under the location.
#pragma once

#include "mod_otp/http/apache_headers.h"

int otp_api_handler(request_rec* r);
