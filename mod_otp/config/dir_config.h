// Per-directory configuration (OTPUsersFile, OTPWindow, ...): what httpd creates for every
// <Location>, <Directory> and .htaccess, merged inner over outer. Allocated from config pools
// and never destroyed, so it stays a trivially destructible C struct.
#pragma once

#include <ap_expr.h>

#include "mod_otp/http/apache_headers.h"
#include "verify/code_validator.h"
#include "login/login_limits.h"
#include "web/translations.h"
#include "users/users_file.h"

struct otp_dir_config {
    const char* location;                 // the <Location>/<Directory> path, for events
    ap_expr_info_t* customer_identifier;  // OTPCustomerIdentifier, nullptr when unset
    const char* users_file;               // absolute path, nullptr when unset
    int users_layout;                     // otp::UsersFileLayout, -1 when unset
    int window;                           // OTPWindow, -1 when unset
    int hotp_look_ahead;                  // OTPHOTPLookAhead
    int time_step;                        // OTPTimeStep
    int digits;                           // OTPDigits
    int basic_linger;                     // OTPBasicLinger (seconds, 0 = off)
    int validation_pipe;                  // OTPValidationPipe: otp::TokenKind, -1 = by token type
    int allowed_retry;                    // OTPAllowedRetry
    int lockout_failures;                 // OTPLockout failures (0 = off), window, ban
    int lockout_window;
    int lockout_ban;
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
otp::UsersFileLayout otp_users_layout(const otp_dir_config* conf);
int otp_basic_linger(const otp_dir_config* conf);
otp::LimitPolicy otp_limit_policy(const otp_dir_config* conf);
std::int64_t otp_session_lifetime(const otp_dir_config* conf);
std::int64_t otp_session_idle_timeout(const otp_dir_config* conf);
const char* otp_cookie_name(const otp_dir_config* conf);
const otp::Translations& otp_translations(const otp_dir_config* conf);

extern const command_rec otp_directives[];
