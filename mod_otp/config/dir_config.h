// Per-directory configuration (OTPUsersFile, OTPWindow, ...): what httpd creates for every
// <Location>, <Directory> and .htaccess, merged inner over outer. Allocated from config pools
// and never destroyed, so it stays a trivially destructible C struct.
#pragma once

#include <ap_expr.h>

#include <string>

#include "login/login_limits.h"
#include "mod_otp/http/apache_headers.h"
#include "twoway/two_way_flows.h"
#include "users/users_file.h"
#include "verify/code_validator.h"
#include "verify/exec_pipe.h"
#include "verify/pipe.h"
#include "web/translations.h"

// A field that the section does not set; merged from the enclosing section.
constexpr int kOtpUnset = -1;

struct otp_dir_config {
    // The section's own path as httpd gives it: a URL path for <Location>, a filesystem
    // path for <Directory> and .htaccess, nullptr for the server.
    const char* section_path;
    ap_expr_info_t* customer_identifier;  // OTPCustomerIdentifier, nullptr when unset
    const char* users_file;               // absolute path, nullptr when unset
    int users_layout;                     // otp::UsersFileLayout, -1 when unset
    int window;                           // OTPWindow, -1 when unset
    int hotp_look_ahead;                  // OTPHOTPLookAhead
    int time_step;                        // OTPTimeStep
    int digits;                           // OTPDigits
    int basic_linger;                     // OTPBasicLinger (seconds, 0 = off)
    const otp::Pipe* pipe;                // OTPValidationPipe totp|hotp|delivered; nullptr = unset
    const char* pipe_name;                // OTPValidationPipe <OTPPipe name>, found per request
    const char* pipe_where;               // "file:line" of OTPValidationPipe, for errors
    const char* pre_pipe_name;            // OTPPrePipe
    const char* pre_pipe_where;           // "file:line" of OTPPrePipe
    int delivered_length;                 // OTPDeliveredCode length
    int delivered_charset;                // ... charset: otp::CodeCharset
    int delivered_lifetime;               // OTPDeliveredLifetime
    int delivered_uses;                   // OTPDeliveredUses
    int verify_returns_code;              // OTPVerifyReturnsCode on|off (1/0), -1 when unset
    const char* verify_returns_code_where;  // "file:line" of OTPVerifyReturnsCode, for errors
    int twoway_length;                    // OTPTwoWayCode length
    int twoway_charset;                   // ... charset: otp::CodeCharset
    int twoway_lifetime;                  // OTPTwoWayLifetime
    int twoway_init_rate;                 // OTPTwoWayInitRate
    int allowed_retry;                    // OTPAllowedRetry
    int lockout_failures;                 // OTPLockout failures (0 = off), window, ban
    int lockout_window;
    int lockout_ban;
    int address_failures;  // OTPAddressLockout failures (0 = off), window, ban
    int address_window;
    int address_ban;
    int session_lifetime;                   // OTPSessionLifetime
    int session_idle;                       // OTPSessionIdleTimeout
    const char* cookie_name;                // OTPCookieName
    const char* page_template;              // OTPPageTemplate: the template's text
    const otp::Translations* translations;  // OTPTranslations (owned by OtpModuleState)
};

void* otp_create_dir_config(apr_pool_t* pool, char* dir);
void* otp_merge_dir_config(apr_pool_t* pool, void* base, void* add);

// The effective values, defaults applied.
otp::OtpPolicy otp_policy(const otp_dir_config* conf);
// The location's validation pipe; nullptr when OTPValidationPipe names an OTPPipe this server
// does not define (only possible in .htaccess: the main configuration is checked at startup).
const otp::Pipe* otp_pipe(server_rec* s, const otp_dir_config* conf);
// The location's OTPPrePipe, nullptr when none is set or the name is unknown.
const otp::ExecPipe* otp_pre_pipe(server_rec* s, const otp_dir_config* conf);
// What separates one set of users from another in the state store (lockouts, attempts,
// delivered codes): the users file, or for an exec pipe without one, the pipe and the virtual
// host that defines it (its users are the program's).
std::string otp_users_scope(server_rec* s, const otp_dir_config* conf, const otp::Pipe& pipe);
// Whether the location validates delivered codes.
bool otp_delivers_codes(const otp_dir_config* conf);
// OTPVerifyReturnsCode: the verify API's generate hands the code to the caller.
bool otp_verify_returns_code(const otp_dir_config* conf);
otp::UsersFileLayout otp_users_layout(const otp_dir_config* conf);
// OTPTwoWayCode / OTPTwoWayLifetime / OTPTwoWayInitRate and OTPAllowedRetry, defaults applied.
otp::TwoWayPolicy otp_two_way_policy(const otp_dir_config* conf);
int otp_basic_linger(const otp_dir_config* conf);
otp::LimitPolicy otp_limit_policy(const otp_dir_config* conf);
std::int64_t otp_session_lifetime(const otp_dir_config* conf);
std::int64_t otp_session_idle_timeout(const otp_dir_config* conf);
const char* otp_cookie_name(const otp_dir_config* conf);
const otp::Translations& otp_translations(const otp_dir_config* conf);
