// The authn provider "otp" for AuthBasicProvider: password = PIN + code.
#pragma once

#include "apache_headers.h"

extern const authn_provider otp_authn_provider;
