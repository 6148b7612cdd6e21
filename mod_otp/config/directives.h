// mod_otp's directive table (every OTP* directive, server and directory).
#pragma once

#include "mod_otp/http/apache_headers.h"

extern const command_rec otp_directives[];
