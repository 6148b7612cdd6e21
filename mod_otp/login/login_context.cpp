#include "mod_otp/login/login_context.h"

#include "mod_otp/http/clock.h"
#include "crypto/digest.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/config/server_config.h"

APLOG_USE_MODULE(otp);

namespace {

bool ends_with(std::string_view text, std::string_view tail) {
    return text.size() >= tail.size() &&
           text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

Endpoint endpoint_of(request_rec* r) {
    std::string_view uri = r->uri ? r->uri : "";
    if (ends_with(uri, "/.otp/start")) return Endpoint::start;
    if (ends_with(uri, "/.otp/logout")) return Endpoint::logout;
    return Endpoint::none;
}

Flow::Flow(request_rec* req, Mode m)
    : r(req),
      conf(static_cast<otp_dir_config*>(ap_get_module_config(req->per_dir_config, &otp_module))),
      mode(m),
      state(otp_state()),
      store(state, req->server, req->pool),
      scope(session_scope(req, conf)),
      limits_policy(otp_limit_policy(conf)),
      limits(store, limits_policy, conf->users_file ? conf->users_file : "") {}

std::string Flow::csrf_key() const {
    const char* key = otp_server_conf(r->server)->session_key;
    std::string base = key ? std::string(key, otp::kSessionKeyBytes) : state.random_session_key;
    return otp::hmac_sha256(base, "mod_otp csrf");
}

bool Flow::configured() const {
    if (conf->users_file) return true;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "OTP login for %s needs OTPUsersFile", r->uri);
    return false;
}

std::string absolute_start_path(request_rec* r, const SessionScope& scope) {
    std::string uri = r->uri;
    if (uri == scope.path && uri.back() != '/') return uri + "/.otp/start";
    return uri.substr(0, uri.rfind('/') + 1) + ".otp/start";
}

std::string default_return(const SessionScope& scope) {
    return scope.path.back() == '/' ? scope.path : scope.path + "/";
}

void emit_failure(Flow& flow, std::string_view user, const char* reason, int attempts_left,
                  const char* pipe) {
    if (attempts_left >= 0)
        otp_emit_request_event(flow.r, otp::event::kValidationFailed, user,
                               {{"reason", reason}, {"attempts_left", attempts_left}}, pipe);
    else
        otp_emit_request_event(flow.r, otp::event::kValidationFailed, user, {{"reason", reason}},
                               pipe);
}
