// The shared context of one login-flow request (SPEC §3), used by the page, the start
// endpoint and the hooks: the location's configuration, the state store, the session realm
// and the attempt/lockout limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "login/login_limits.h"
#include "mod_otp/config/dir_config.h"
#include "mod_otp/http/apache_headers.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/session/session_gate.h"
#include "mod_otp/store/request_store.h"
#include "verify/verifier.h"

enum class Mode { login, second_factor };  // AuthType OTP / Require otp
enum class Endpoint { none, start, logout };

Endpoint endpoint_of(request_rec* r);

// Everything one login-flow request needs.
struct LoginRequest {
    request_rec* r;
    otp_dir_config* conf;
    Mode mode;
    OtpModuleState& state;
    RequestStore store_handle;
    otp::StateStore& store;  // store_handle's
    SessionRealm realm;
    otp::LimitPolicy limits_policy;
    const otp::Pipe* pipe;     // OTPValidationPipe; nullptr: an unknown OTPPipe (configured())
    otp::Verifier verifier;
    otp::LoginLimits& limits;  // the verifier's: attempts are created and found here

    LoginRequest(request_rec* req, Mode m);

    // Keys the page's CSRF tokens; derived from the session key.
    std::string csrf_key() const;
    const otp::Translations& translations() const { return otp_translations(conf); }
    // The location's configuration can serve a login: a known pipe, a pre-pipe exactly with
    // delivered codes, OTPUsersFile unless the pipe is an exec program. Logs what is wrong.
    // `caller_delivers`: the verify API with OTPVerifyReturnsCode on needs no pre-pipe.
    bool configured(bool caller_delivers = false) const;
    bool delivers_codes() const { return otp_delivers_codes(conf); }
};

// The attempt cookie: the attempt sealed with the session key and bound to the realm, so the
// store holds nothing for it until its first guess. write_attempt_cookie is false when it
// cannot be sealed (no key, no randomness).
bool write_attempt_cookie(LoginRequest& login, const otp::LoginAttempt& attempt);
// The first attempt cookie that opens in this realm and is not expired.
std::optional<otp::LoginAttempt> read_attempt_cookie(LoginRequest& login);
void clear_attempt_cookie(LoginRequest& login);

// The start endpoint as an absolute path, for the JSON OTP_REQUIRED answer.
std::string absolute_start_path(request_rec* r, const SessionRealm& realm);
// Where to go after a login when nothing better is known: the location itself.
std::string default_return(const SessionRealm& realm);
// WEB_100020 for the login flow (attempts_left < 0: not applicable).
void emit_failure(LoginRequest& login, std::string_view user, const char* reason, int attempts_left,
                  const char* pipe);
