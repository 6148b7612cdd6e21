#include "mod_otp/login/login_request.h"

#include "crypto/digest.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/http/http_util.h"
#include "util/ascii.h"
#include "web/login_page.h"

APLOG_USE_MODULE(otp);

Endpoint endpoint_of(request_rec* r) {
    std::string_view uri = r->uri ? r->uri : "";
    if (otp::ends_with(uri, "/.otp/start")) return Endpoint::start;
    if (otp::ends_with(uri, "/.otp/logout")) return Endpoint::logout;
    return Endpoint::none;
}

LoginRequest::LoginRequest(request_rec* req, Mode m)
    : r(req),
      conf(static_cast<otp_dir_config*>(ap_get_module_config(req->per_dir_config, &otp_module))),
      mode(m),
      state(otp_state()),
      store_handle(state, req->server, req->pool),
      store(store_handle.get()),
      realm(session_realm(req, conf)),
      limits_policy(otp_limit_policy(conf)),
      pipe(otp_pipe(req->server, conf)),
      verifier(store, limits_policy,
               pipe ? otp_users_scope(req->server, conf, *pipe) : std::string()),
      limits(verifier.limits()) {}

std::string LoginRequest::csrf_key() const {
    const std::string key = otp_session_key(r->server);
    // No key, no token: make/check_csrf_token refuse an empty key (fail closed).
    return key.empty() ? std::string() : otp::hmac_sha256(key, "mod_otp csrf");
}

bool LoginRequest::configured(bool caller_delivers) const {
    if (!pipe) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "OTPValidationPipe %s (%s) for %s: no such OTPPipe in this server",
                      conf->pipe_name, conf->pipe_where, r->uri);
        return false;
    }
    const bool has_pre_pipe = conf->pre_pipe_name != nullptr;
    if ((delivers_codes() && !has_pre_pipe && !caller_delivers) ||
        (!delivers_codes() && has_pre_pipe)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "OTP login for %s: OTPValidationPipe delivered and OTPPrePipe go together "
                      "(OTPValidationPipe at %s, OTPPrePipe at %s)",
                      r->uri, conf->pipe_where ? conf->pipe_where : "(default)",
                      conf->pre_pipe_where ? conf->pre_pipe_where : "(none)");
        return false;
    }
    if (conf->pre_pipe_name && !otp_pre_pipe(r->server, conf)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "OTPPrePipe %s (%s) for %s: no such OTPPipe in this server",
                      conf->pre_pipe_name, conf->pre_pipe_where, r->uri);
        return false;
    }
    if (conf->users_file || !pipe->uses_tokens()) return true;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "OTP login for %s needs OTPUsersFile", r->uri);
    return false;
}

bool write_attempt_cookie(LoginRequest& login, const otp::LoginAttempt& attempt) {
    const otp::AttemptClaims claims{attempt.id, attempt.bound_user, attempt.return_path,
                                    attempt.created};
    auto sealed = sealer_for(login.r).seal(claims, login.realm.id);
    if (!sealed) return false;
    write_cookie(login.r, login.realm.attempt_cookie_name.c_str(), *sealed, login.realm.path);
    return true;
}

std::optional<otp::LoginAttempt> read_attempt_cookie(LoginRequest& login) {
    const otp::SessionSealer sealer = sealer_for(login.r);
    const std::int64_t now = unix_now();
    for (const std::string& cookie :
         read_cookies(login.r, login.realm.attempt_cookie_name.c_str())) {
        auto claims = sealer.open_attempt(cookie, login.realm.id);
        if (!claims) continue;
        otp::LoginAttempt attempt{claims->id, claims->bound_user, claims->return_path,
                                  claims->created};
        if (login.limits.attempt_current(attempt, now)) return attempt;
    }
    return std::nullopt;
}

void clear_attempt_cookie(LoginRequest& login) {
    clear_cookie(login.r, login.realm.attempt_cookie_name.c_str(), login.realm.path);
}

std::string absolute_start_path(request_rec* r, const SessionRealm& realm) {
    std::string uri = r->uri;
    // Under <Location />, r->uri may be "//evil.example/x": never answer a path that a client
    // reads as another host.
    if (uri == realm.path && uri.back() != '/') return otp::same_origin_link(uri + "/.otp/start");
    return otp::same_origin_link(uri.substr(0, uri.rfind('/') + 1) + ".otp/start");
}

std::string default_return(const SessionRealm& realm) {
    return realm.path.back() == '/' ? realm.path : realm.path + "/";
}

void emit_failure(LoginRequest& login, std::string_view user, const char* reason, int attempts_left,
                  const char* pipe) {
    if (attempts_left >= 0)
        otp_emit_request_event(login.r, otp::event::kValidationFailed, user,
                               {{"reason", reason}, {"attempts_left", attempts_left}}, pipe);
    else
        otp_emit_request_event(login.r, otp::event::kValidationFailed, user, {{"reason", reason}},
                               pipe);
}
