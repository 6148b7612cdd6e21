// The two-way OTP API (SPEC §3 "Two-way OTP API"):
//   SetHandler otp-twoway         the app's side: POST <loc>/init, <loc>/complete, <loc>/token
//   SetHandler otp-twoway-portal  the portal's side, behind the portal's own login: POST a
//                                 client code (JSON or the page's form), GET the page
// Both must be in one virtual host: its key hashes the flows' records.
#pragma once

#include "mod_otp/http/apache_headers.h"

int otp_twoway_handler(request_rec* r);
