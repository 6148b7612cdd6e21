// Sessions of the interactive login: a sealed cookie (AES-256-GCM) that names a server-side
// session record, so logout and lockout can revoke it. Scoped to the protected location.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mod_otp/http/apache_headers.h"
#include "mod_otp/config/dir_config.h"
#include "session/session_cookie.h"
#include "store/state_store.h"

struct SessionScope {
    std::string path;         // cookie Path and the claims' location
    std::string cookie_name;  // OTPCookieName, with __Host- over HTTPS when path is "/"
    std::string attempt_cookie_name;
};

SessionScope session_scope(request_rec* r, const otp_dir_config* conf);

// The request's session, if it has a valid one (for `user` when not empty). Refreshes the
// cookie's idle time now and then. A session that just ended by time is reported in
// *ended ("expired" or "idle") so the caller can log it.
std::optional<otp::SessionClaims> current_session(request_rec* r, const otp_dir_config* conf,
                                                  const SessionScope& scope, otp::StateStore& store,
                                                  std::string_view user, const char** ended);

// Starts a new session (always a new id) and sets its cookie. False on store/crypto failure.
bool start_session(request_rec* r, const otp_dir_config* conf, const SessionScope& scope,
                   otp::StateStore& store, const std::string& user, otp::SessionClaims* started);

// Ends the request's session server-side and clears the cookie; returns the ended claims.
std::optional<otp::SessionClaims> end_session(request_rec* r, const otp_dir_config* conf,
                                              const SessionScope& scope, otp::StateStore& store);

// r->user, OTP_USER and OTP_AUTH_TIME for a request that has a session.
void apply_session(request_rec* r, const otp::SessionClaims& claims, bool set_user);
