// Sessions of the interactive login: a sealed cookie (AES-256-GCM) that names a server-side
// session record, so logout and lockout can revoke it. A session is valid only in its realm:
// the protected location it was made in.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mod_otp/config/dir_config.h"
#include "mod_otp/http/apache_headers.h"
#include "session/session_cookie.h"
#include "store/state_store.h"

// Where a session is valid, and the cookies that carry it there.
struct SessionRealm {
    std::string path;         // cookie Path and the claims' location
    std::string cookie_name;  // OTPCookieName, with __Host- over HTTPS when path is "/"
    std::string attempt_cookie_name;
    // What the seal authenticates besides the claims: the virtual host, the protected
    // section, the users file and the cookie name.
    std::string id;
};

SessionRealm session_realm(request_rec* r, const otp_dir_config* conf);

// Seals and opens this virtual host's cookies (sessions and attempts) with its session key.
otp::SessionSealer sealer_for(request_rec* r);

// The request's session, if it has a valid one (for `user` when not empty). Refreshes the
// cookie's idle time now and then. A session that just ended by time is reported in
// *ended ("expired" or "idle") so the caller can log it.
std::optional<otp::SessionClaims> current_session(request_rec* r, const otp_dir_config* conf,
                                                  const SessionRealm& realm, otp::StateStore& store,
                                                  std::string_view user, const char** ended);

// Starts a new session (always a new id) and sets its cookie. False on store/crypto failure.
bool start_session(request_rec* r, const otp_dir_config* conf, const SessionRealm& realm,
                   otp::StateStore& store, const std::string& user, otp::SessionClaims* started);

// Ends the request's session server-side and clears the cookie; returns the ended claims.
// When the store cannot revoke it, sets *store_failed and keeps the cookie.
std::optional<otp::SessionClaims> end_session(request_rec* r, const otp_dir_config* conf,
                                              const SessionRealm& realm, otp::StateStore& store,
                                              bool* store_failed);

// r->user, OTP_USER and OTP_AUTH_TIME for a request that has a session.
void apply_session(request_rec* r, const otp::SessionClaims& claims, bool set_user);
