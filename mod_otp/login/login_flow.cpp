#include "mod_otp/login/login_flow.h"

#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "login/start_request.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/http/http_util.h"
#include "mod_otp/login/login_page_response.h"
#include "mod_otp/login/login_request.h"
#include "mod_otp/login/start_endpoint.h"

APLOG_USE_MODULE(otp);

namespace {

// Set by the authz provider (Require otp) for the handler to act on.
constexpr const char* kActionNote = "otp-action";

int serve_logout(LoginRequest& login) {
    request_rec* r = login.r;
    if (r->method_number != M_POST && r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, POST");
        return send_json_error(r, HTTP_METHOD_NOT_ALLOWED, otp::kErrorMethodNotAllowed);
    }
    // Another site must not log the user out (a link or form on its page): only this site's
    // own pages, or a client that sends no Origin or Sec-Fetch-Site, may.
    if (!same_origin_request(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "logout refused: the request came from another site (Origin or "
                      "Sec-Fetch-Site)");
        return send_json_error(r, HTTP_FORBIDDEN, otp::kErrorBadOrigin);
    }
    bool store_failed = false;
    auto ended = end_session(r, login.conf, login.realm, login.store, &store_failed);
    if (store_failed) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "logout of user \"%s\" refused (store_error): the session could not be "
                      "revoked in the state store",
                      ended->user.c_str());
        otp_emit_request_event(r, otp::event::kStoreError, ended->user,
                               {{"reason", "cannot revoke the session at logout"}});
        return send_json_error(r, HTTP_SERVICE_UNAVAILABLE, "store_error");
    }
    if (ended)
        otp_emit_request_event(r, otp::event::kSessionEnded, ended->user, {{"reason", "logout"}});
    if (wants_json(r) || r->method_number == M_POST) {
        otp::JsonObject body;
        body.set("status", "LOGGED_OUT");
        return send_json(r, HTTP_OK, body);
    }
    return send_redirect(r, HTTP_SEE_OTHER, default_return(login.realm));
}

// A valid session for the request? (For Require otp: for the first factor's user.)
bool has_session(LoginRequest& login) {
    const char* ended = nullptr;
    std::string user = login.mode == Mode::second_factor && login.r->user ? login.r->user : "";
    auto claims = current_session(login.r, login.conf, login.realm, login.store, user, &ended);
    if (ended)
        otp_emit_request_event(login.r, otp::event::kSessionEnded, user, {{"reason", ended}});
    if (!claims) return false;
    apply_session(login.r, *claims, login.mode == Mode::login);
    return true;
}

int login_check_authn(request_rec* r) {
    LoginRequest login(r, Mode::login);
    if (!login.configured()) return HTTP_INTERNAL_SERVER_ERROR;
    switch (endpoint_of(r)) {
        case Endpoint::start:
            serve_start(login);
            return DONE;
        case Endpoint::logout:
            serve_logout(login);
            return DONE;
        case Endpoint::none:
            break;
    }
    if (has_session(login)) return OK;
    if (r->main) return HTTP_UNAUTHORIZED;  // a subrequest never shows the page
    require_login(login);
    return DONE;
}

authz_status second_factor_check(request_rec* r) {
    if (!r->user) return AUTHZ_DENIED_NO_USER;  // let the first factor authenticate
    LoginRequest login(r, Mode::second_factor);
    if (!login.configured()) return AUTHZ_GENERAL_ERROR;
    switch (endpoint_of(r)) {
        case Endpoint::start:
            apr_table_setn(r->notes, kActionNote, "start");
            return AUTHZ_GRANTED;
        case Endpoint::logout:
            apr_table_setn(r->notes, kActionNote, "logout");
            return AUTHZ_GRANTED;
        case Endpoint::none:
            break;
    }
    if (has_session(login)) return AUTHZ_GRANTED;
    // Not a denial: that would make mod_authz_core answer 401 with the first factor's
    // challenge (a Basic password dialog). The handler, which runs before any other,
    // answers with the page instead of the content.
    apr_table_setn(r->notes, kActionNote, "page");
    return AUTHZ_GRANTED;
}

int second_factor_handler(request_rec* r, const char* action) {
    LoginRequest login(r, Mode::second_factor);
    if (!r->user) return HTTP_INTERNAL_SERVER_ERROR;
    if (!std::strcmp(action, "start")) return serve_start(login);
    if (!std::strcmp(action, "logout")) return serve_logout(login);
    if (r->main) return HTTP_UNAUTHORIZED;
    return require_login(login);
}

authz_status guarded_authz(request_rec* r, const char*, const void*) {
    try {
        return second_factor_check(r);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "Require otp: internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "Require otp: internal error");
    }
    return AUTHZ_GENERAL_ERROR;
}

const char* parse_require_line(cmd_parms*, const char* line, const void**) {
    return line && *line ? "Require otp takes no arguments" : nullptr;
}

}  // namespace

int otp_login_check_authn(request_rec* r) {
    const char* type = ap_auth_type(r);
    if (!type || strcasecmp(type, "OTP")) return DECLINED;
    try {
        return login_check_authn(r);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "AuthType OTP: internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "AuthType OTP: internal error");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

int otp_login_note_auth_failure(request_rec*, const char* auth_type) {
    return strcasecmp(auth_type, "OTP") ? DECLINED : OK;
}

int otp_login_handler(request_rec* r) {
    const char* action = apr_table_get(r->notes, kActionNote);
    if (!action) return DECLINED;
    try {
        return second_factor_handler(r, action);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "Require otp: internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "Require otp: internal error");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

const authz_provider otp_authz_provider = {&guarded_authz, &parse_require_line};
