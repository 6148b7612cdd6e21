// Startup check of the verify API's sections: a section with SetHandler otp-verify and no
// Require (or client-certificate requirement) in it or in any section around it answers
// anyone who can reach it, so the startup log says so, with the file and line; the same for
// SetHandler otp-twoway-portal, which needs the portal's login in front of it.
#pragma once

#include "mod_otp/http/apache_headers.h"

// check_config hook (runs for apachectl configtest too). Only warns: access may be controlled
// in a way the configuration tree does not show (a firewall, another section of the same path).
int otp_api_check_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);
