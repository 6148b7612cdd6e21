// The authn provider "otp" for AuthBasicProvider: password = PIN + code.
#pragma once

#include "mod_otp/http/apache_headers.h"

extern const authn_provider otp_authn_provider;
