// The httpd and APR headers the module uses, in one place. All of these carry their own
// extern "C" guards; headers that do not (mod_session.h, mod_ssl.h) must be wrapped here.
#pragma once

#include <ap_provider.h>
#include <ap_socache.h>
#include <apr_global_mutex.h>
#include <apr_strings.h>
#include <http_config.h>
#include <http_core.h>
#include <http_log.h>
#include <http_protocol.h>
#include <http_request.h>
#include <httpd.h>
#include <mod_auth.h>
#include <util_mutex.h>

extern "C" {
extern module AP_MODULE_DECLARE_DATA otp_module;
}
