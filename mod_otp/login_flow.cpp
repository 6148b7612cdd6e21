#include "login_flow.h"

#include <util_script.h>

#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "code_validator.h"
#include "csrf_token.h"
#include "digest.h"
#include "dir_config.h"
#include "event_log.h"
#include "http_util.h"
#include "login_limits.h"
#include "login_page.h"
#include "module_state.h"
#include "server_config.h"
#include "session_gate.h"
#include "socache_state_store.h"
#include "start_request.h"
#include "users_lookup.h"

APLOG_USE_MODULE(otp);

namespace {

// Set by the authz provider (Require otp) for the handler to act on.
constexpr const char* kActionNote = "otp-action";

enum class Mode { login, second_factor };  // AuthType OTP / Require otp
enum class Endpoint { none, start, logout };

std::int64_t now_seconds() { return apr_time_sec(apr_time_now()); }

bool ends_with(std::string_view text, std::string_view tail) {
    return text.size() >= tail.size() && text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

Endpoint endpoint_of(request_rec* r) {
    std::string_view uri = r->uri ? r->uri : "";
    if (ends_with(uri, "/.otp/start")) return Endpoint::start;
    if (ends_with(uri, "/.otp/logout")) return Endpoint::logout;
    return Endpoint::none;
}

// Everything one login-flow request needs.
struct Flow {
    request_rec* r;
    otp_dir_config* conf;
    Mode mode;
    OtpModuleState& state;
    SocacheStateStore store;
    SessionScope scope;
    otp::LimitPolicy limits_policy;
    otp::LoginLimits limits;

    Flow(request_rec* req, Mode m)
        : r(req),
          conf(static_cast<otp_dir_config*>(ap_get_module_config(req->per_dir_config, &otp_module))),
          mode(m),
          state(otp_state()),
          store(state, req->server, req->pool),
          scope(session_scope(req, conf)),
          limits_policy(otp_limit_policy(conf)),
          limits(store, limits_policy, conf->users_file ? conf->users_file : "") {}

    std::string csrf_key() const {
        const char* key = otp_server_conf(r->server)->session_key;
        std::string base = key ? std::string(key, otp::kSessionKeyBytes) : state.random_session_key;
        return otp::hmac_sha256(base, "mod_otp csrf");
    }
    const otp::Translations& translations() const { return otp_translations(conf); }
};

// ---- paths -------------------------------------------------------------------------------

// The start endpoint as an absolute path, for the JSON OTP_REQUIRED answer.
std::string absolute_start_path(request_rec* r, const SessionScope& scope) {
    std::string uri = r->uri;
    if (uri == scope.path && uri.back() != '/') return uri + "/.otp/start";
    return uri.substr(0, uri.rfind('/') + 1) + ".otp/start";
}

// The start endpoint relative to the page's URL (SPEC: the page uses ".otp/start").
std::string relative_start_url(request_rec* r, const SessionScope& scope, Endpoint at) {
    if (at == Endpoint::start) return "start";  // the page is the answer of .otp/start itself
    std::string uri = r->uri;
    if (uri == scope.path && uri.back() != '/')
        return uri.substr(uri.rfind('/') + 1) + "/.otp/start";
    return ".otp/start";
}

std::string default_return(const SessionScope& scope) {
    return scope.path.back() == '/' ? scope.path : scope.path + "/";
}

apr_table_t* query_table(request_rec* r) {
    apr_table_t* table = nullptr;
    ap_args_to_table(r, &table);
    return table;
}

// ---- events ---------------------------------------------------------------------------------

void emit_failure(Flow& flow, std::string_view user, const char* reason, int attempts_left,
                  const char* pipe) {
    if (attempts_left >= 0)
        otp_emit_request_event(flow.r, otp::event::kValidationFailed, user,
                               {{"reason", reason}, {"attempts_left", attempts_left}}, pipe);
    else
        otp_emit_request_event(flow.r, otp::event::kValidationFailed, user,
                               {{"reason", reason}}, pipe);
}

// ---- the page --------------------------------------------------------------------------------

struct PageOptions {
    int status = HTTP_UNAUTHORIZED;
    std::string error_key;
    int attempts_left = -1;
    bool disabled = false;
    std::string user;
};

int serve_page(Flow& flow, const otp::LoginAttempt& attempt, Endpoint at,
               const PageOptions& options) {
    request_rec* r = flow.r;
    const otp::Translations& texts = flow.translations();
    apr_table_t* query = query_table(r);
    const char* asked = query ? apr_table_get(query, otp::kLanguageQueryParam) : nullptr;
    const char* consent = query ? apr_table_get(query, otp::kLanguageConsentParam) : nullptr;
    auto cookie_lang = read_cookie(r, otp::kLanguageCookieName);
    const char* accept = apr_table_get(r->headers_in, "Accept-Language");

    otp::PageModel model;
    if (asked && texts.has_language(asked)) {
        model.lang = otp::normalize_language_tag(asked);
        if (consent && std::string_view(consent) == "1")
            // Approved: remember the language (a preference, not a secret) for a year.
            write_cookie(r, otp::kLanguageCookieName, model.lang, "/", 365L * 86400);
        else
            model.show_cookie_banner = !consent && (!cookie_lang || *cookie_lang != model.lang);
    } else {
        model.lang = otp::choose_language(texts, cookie_lang ? *cookie_lang : "",
                                          accept ? accept : "");
    }
    model.ask_user = flow.mode == Mode::login;
    model.user = flow.mode == Mode::second_factor ? (r->user ? r->user : "") : options.user;
    model.csrf = otp::make_csrf_token(flow.csrf_key(), attempt.id);
    model.start_url = relative_start_url(r, flow.scope, at);
    model.error_key = options.error_key;
    model.attempts_left = options.attempts_left;
    model.form_disabled = options.disabled;
    model.languages = texts.languages();
    model.verified_redirect = attempt.return_path;
    model.location = flow.scope.path;
    model.page_url = at == Endpoint::none ? r->unparsed_uri : attempt.return_path;
    model.cancel_url = "/";

    std::string html = otp::render_login_page(
        texts, model, flow.conf->page_template ? flow.conf->page_template : "");
    if (!flow.conf->page_template)
        apr_table_set(r->err_headers_out, "Content-Security-Policy", otp::login_page_csp().c_str());
    apr_table_setn(r->err_headers_out, "Content-Language", apr_pstrdup(r->pool, model.lang.c_str()));
    return send_body(r, options.status, "text/html; charset=utf-8", html);
}

// A protected request without a session: a new attempt, then the page (or JSON).
int require_login(Flow& flow) {
    request_rec* r = flow.r;
    std::string bound = flow.mode == Mode::second_factor && r->user ? r->user : "";
    std::string return_path = r->unparsed_uri;
    if (!otp::is_safe_return_path(return_path, flow.scope.path)) return_path = default_return(flow.scope);
    auto attempt = flow.limits.create_attempt(bound, return_path);
    if (!attempt) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "login attempt: state store unavailable");
        otp_emit_request_event(r, otp::event::kStoreError, bound, {{"reason", "cannot create a login attempt"}});
        return send_json_error(r, HTTP_SERVICE_UNAVAILABLE, "store_error");
    }
    write_cookie(r, flow.scope.attempt_cookie_name.c_str(), attempt->id, flow.scope.path);
    otp_emit_request_event(r, otp::event::kAttemptStarted, bound, {});
    if (wants_json(r)) {
        otp::JsonObject body;
        body.set("status", "OTP_REQUIRED");
        body.set("start", absolute_start_path(r, flow.scope));
        return send_json(r, HTTP_UNAUTHORIZED, body);
    }
    return serve_page(flow, *attempt, Endpoint::none, PageOptions{});
}

// ---- the start endpoint -----------------------------------------------------------------------

struct StartAnswer {
    int status = HTTP_OK;
    std::string error;       // empty on success
    int attempts_left = -1;
    std::int64_t retry_after = 0;
    std::string redirect;
};

StartAnswer refuse(int status, std::string error, int attempts_left = -1,
                   std::int64_t retry_after = 0) {
    StartAnswer answer;
    answer.status = status;
    answer.error = std::move(error);
    answer.attempts_left = attempts_left;
    answer.retry_after = retry_after;
    return answer;
}

StartAnswer completed(std::string redirect) {
    StartAnswer answer;
    answer.redirect = std::move(redirect);
    return answer;
}

int answer_start(Flow& flow, bool form, const otp::LoginAttempt* attempt,
                 const StartAnswer& answer, const std::string& user) {
    request_rec* r = flow.r;
    if (answer.retry_after > 0)
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT, static_cast<apr_int64_t>(answer.retry_after)));
    if (answer.error.empty()) {
        if (form) return send_redirect(r, HTTP_SEE_OTHER, answer.redirect);
        otp::JsonObject body;
        body.set("status", "COMPLETED");
        body.set("redirect", answer.redirect);
        return send_json(r, HTTP_OK, body);
    }
    if (!form || !attempt) {
        otp::JsonObject body;
        body.set("status", "ERROR");
        body.set("error", answer.error);
        if (answer.attempts_left >= 0) body.set("attempts_left", answer.attempts_left);
        return send_json(r, answer.status, body);
    }
    PageOptions options;
    options.status = answer.status;
    options.error_key = otp::error_translation_key(answer.error);
    options.attempts_left = answer.attempts_left;
    options.disabled = answer.status == HTTP_TOO_MANY_REQUESTS;
    options.user = user;
    return serve_page(flow, *attempt, Endpoint::start, options);
}

// Checks the code for `user` within `attempt`; the heart of the flow.
StartAnswer validate_in_attempt(Flow& flow, const otp::LoginAttempt& attempt,
                                const std::string& user, const otp::StartRequest& request,
                                const std::string& redirect) {
    request_rec* r = flow.r;
    const std::int64_t now = now_seconds();
    otp::Admission admission = flow.limits.admit(attempt, user, now);
    if (admission.user_unlocked)
        otp_emit_request_event(r, otp::event::kUserUnlocked, user, {});
    switch (admission.verdict) {
        case otp::GateVerdict::proceed: break;
        case otp::GateVerdict::locked:
            emit_failure(flow, user, "locked", -1, nullptr);
            return refuse(HTTP_TOO_MANY_REQUESTS, "locked", -1, admission.retry_after);
        case otp::GateVerdict::retries_exhausted:
            emit_failure(flow, user, "retries_exhausted", 0, nullptr);
            return refuse(HTTP_TOO_MANY_REQUESTS, "retries_exhausted");
        case otp::GateVerdict::store_error:
            emit_failure(flow, user, "store_error", -1, nullptr);
            otp_emit_request_event(r, otp::event::kStoreError, user, {{"reason", "attempt counters unavailable"}});
            return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
    }

    auto index = otp_users_index(r, flow.conf);
    if (!index) {
        emit_failure(flow, user, "store_error", -1, nullptr);
        return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
    }
    const std::string users_path(flow.conf->users_file);
    otp::ValidationResult result =
        otp::validate_code(otp::UsersSource{*index, users_path}, flow.store,
                           otp_policy(flow.conf), user, request.otp, otp::PinUse::not_used, now);

    if (result.outcome == otp::ValidationOutcome::accepted) {
        flow.limits.record_success(attempt, user);
        otp::SessionClaims session;
        if (!start_session(r, flow.conf, flow.scope, flow.store, user, &session)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "user \"%s\": code accepted but no session could be started", user.c_str());
            otp_emit_request_event(r, otp::event::kStoreError, user, {{"reason", "cannot start a session"}});
            return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
        }
        clear_cookie(r, flow.scope.attempt_cookie_name.c_str(), flow.scope.path);
        otp_emit_request_event(r, otp::event::kValidated, user, {}, result.pipe);
        otp_emit_request_event(r, otp::event::kSessionStarted, user, {}, result.pipe);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user \"%s\": %s code accepted, session started",
                      user.c_str(), result.pipe);
        return completed(redirect);
    }

    const char* reason = otp::outcome_reason(result.outcome);
    ap_log_rerror(APLOG_MARK, result.outcome == otp::ValidationOutcome::store_error ? APLOG_ERR : APLOG_WARNING,
                  0, r, "user \"%s\": refused (%s): %s", user.c_str(), reason, result.detail.c_str());
    if (result.outcome == otp::ValidationOutcome::store_error) {
        emit_failure(flow, user, reason, -1, result.pipe);
        otp_emit_request_event(r, otp::event::kStoreError, user, {{"reason", result.detail}}, result.pipe);
        return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
    }
    otp::FailureOutcome failure = flow.limits.record_failure(attempt, user, admission, now);
    emit_failure(flow, user, reason, failure.attempts_left, result.pipe);
    if (failure.attempt_aborted)
        otp_emit_request_event(r, otp::event::kAttemptAborted, user,
                               {{"reason", "retries_exhausted"}});
    if (failure.user_locked) {
        flow.state.verified.revoke_all();  // the user's sessions end now, in every process
        otp_emit_request_event(r, otp::event::kUserLocked, user,
                               {{"ban_seconds", static_cast<long long>(failure.ban_seconds)}});
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "user \"%s\": locked out for %lld s",
                      user.c_str(), static_cast<long long>(failure.ban_seconds));
    }
    // Wrong code, replay and unknown user look the same to the client.
    return refuse(HTTP_UNAUTHORIZED, "invalid_otp", failure.attempts_left);
}

int serve_start(Flow& flow) {
    request_rec* r = flow.r;
    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return send_json_error(r, HTTP_METHOD_NOT_ALLOWED, otp::kErrorMethodNotAllowed);
    }
    const char* content_type = apr_table_get(r->headers_in, "Content-Type");
    auto kind = otp::classify_start_content_type(content_type ? content_type : "");
    if (auto* error = std::get_if<otp::RequestError>(&kind))
        return send_json_error(r, error->http_status, error->error);
    const bool form = std::get<otp::StartBodyKind>(kind) == otp::StartBodyKind::form;
    if (!origin_allowed(r)) return send_json_error(r, HTTP_FORBIDDEN, otp::kErrorBadOrigin);

    std::string body;
    int read = read_body(r, otp::kMaxStartBodyBytes, &body);
    if (read == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return send_json_error(r, read, otp::kErrorBodyTooLarge);
    if (read != OK) return send_json_error(r, read, otp::kErrorMalformedJson);

    // The attempt this request belongs to.
    bool store_error = false;
    std::optional<otp::LoginAttempt> attempt;
    if (auto id = read_cookie(r, flow.scope.attempt_cookie_name.c_str()))
        attempt = flow.limits.find_attempt(*id, &store_error);
    if (store_error) return send_json_error(r, HTTP_SERVICE_UNAVAILABLE, "store_error");
    const std::string first_factor_user = r->user ? r->user : "";
    if (attempt && flow.mode == Mode::second_factor && attempt->bound_user != first_factor_user)
        attempt.reset();  // another first-factor user: not this attempt

    auto parsed = otp::parse_start_body(content_type, body);
    if (auto* error = std::get_if<otp::RequestError>(&parsed)) {
        // Form posts from the page see their error on the page; a request that fails the
        // CSRF check did not come from our page and gets JSON.
        const bool csrf_failure = error->error == otp::kErrorMissingCsrf;
        if (form && attempt && !csrf_failure) {
            StartAnswer answer = refuse(error->http_status, error->error);
            return answer_start(flow, true, &*attempt, answer, "");
        }
        return send_json_error(r, error->http_status, error->error);
    }
    otp::StartRequest& request = std::get<otp::StartRequest>(parsed);

    // Form posts come from our page and must carry its token; JSON needs no token (a
    // cross-site page cannot send application/json without CORS, and Origin is checked).
    if (form) {
        if (request.csrf.empty() || !attempt)
            return send_json_error(r, HTTP_FORBIDDEN, request.csrf.empty() ? otp::kErrorMissingCsrf : otp::kErrorInvalidCsrf);
        if (!otp::check_csrf_token(flow.csrf_key(), attempt->id, request.csrf))
            return send_json_error(r, HTTP_FORBIDDEN, otp::kErrorInvalidCsrf);
    }
    if (!attempt) {
        // A start request without an attempt cookie starts one (scripts, expired pages).
        attempt = flow.limits.create_attempt(first_factor_user, "");
        if (!attempt) return send_json_error(r, HTTP_SERVICE_UNAVAILABLE, "store_error");
        write_cookie(r, flow.scope.attempt_cookie_name.c_str(), attempt->id, flow.scope.path);
        otp_emit_request_event(r, otp::event::kAttemptStarted, first_factor_user, {});
    }

    std::string redirect = attempt->return_path.empty() ? default_return(flow.scope) : attempt->return_path;
    if (request.has_return) {
        if (!otp::is_safe_return_path(request.return_to, flow.scope.path))
            return answer_start(flow, form, &*attempt, refuse(HTTP_BAD_REQUEST, otp::kErrorInvalidReturn), request.user);
        redirect = request.return_to;
    }
    if (request.type == otp::StartRequest::Type::send)
        return answer_start(flow, form, &*attempt, refuse(HTTP_BAD_REQUEST, "send_not_available"), request.user);

    std::string user;
    if (flow.mode == Mode::second_factor) {
        user = first_factor_user;
    } else {
        if (!request.has_user || request.user.empty())
            return answer_start(flow, form, &*attempt, refuse(HTTP_BAD_REQUEST, otp::kErrorMissingUser), "");
        user = request.user;
    }
    StartAnswer answer = validate_in_attempt(flow, *attempt, user, request, redirect);
    return answer_start(flow, form, &*attempt, answer, user);
}

int serve_logout(Flow& flow) {
    request_rec* r = flow.r;
    if (r->method_number != M_POST && r->method_number != M_GET) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, POST");
        return send_json_error(r, HTTP_METHOD_NOT_ALLOWED, otp::kErrorMethodNotAllowed);
    }
    if (auto ended = end_session(r, flow.conf, flow.scope, flow.store))
        otp_emit_request_event(r, otp::event::kSessionEnded, ended->user, {{"reason", "logout"}});
    if (wants_json(r) || r->method_number == M_POST) {
        otp::JsonObject body;
        body.set("status", "LOGGED_OUT");
        return send_json(r, HTTP_OK, body);
    }
    return send_redirect(r, HTTP_SEE_OTHER, default_return(flow.scope));
}

// A valid session for the request? (For Require otp: for the first factor's user.)
bool has_session(Flow& flow) {
    const char* ended = nullptr;
    std::string user = flow.mode == Mode::second_factor && flow.r->user ? flow.r->user : "";
    auto claims = current_session(flow.r, flow.conf, flow.scope, flow.store, user, &ended);
    if (ended)
        otp_emit_request_event(flow.r, otp::event::kSessionEnded, user, {{"reason", ended}});
    if (!claims) return false;
    apply_session(flow.r, *claims, flow.mode == Mode::login);
    return true;
}

bool configured(Flow& flow) {
    if (flow.conf->users_file) return true;
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, flow.r, "OTP login for %s needs OTPUsersFile", flow.r->uri);
    return false;
}

int login_check_authn(request_rec* r) {
    Flow flow(r, Mode::login);
    if (!configured(flow)) return HTTP_INTERNAL_SERVER_ERROR;
    switch (endpoint_of(r)) {
        case Endpoint::start: serve_start(flow); return DONE;
        case Endpoint::logout: serve_logout(flow); return DONE;
        case Endpoint::none: break;
    }
    if (has_session(flow)) return OK;
    if (r->main) return HTTP_UNAUTHORIZED;  // a subrequest never shows the page
    require_login(flow);
    return DONE;
}

authz_status second_factor_check(request_rec* r) {
    if (!r->user) return AUTHZ_DENIED_NO_USER;  // let the first factor authenticate
    Flow flow(r, Mode::second_factor);
    if (!configured(flow)) return AUTHZ_GENERAL_ERROR;
    switch (endpoint_of(r)) {
        case Endpoint::start: apr_table_setn(r->notes, kActionNote, "start"); return AUTHZ_GRANTED;
        case Endpoint::logout: apr_table_setn(r->notes, kActionNote, "logout"); return AUTHZ_GRANTED;
        case Endpoint::none: break;
    }
    if (has_session(flow)) return AUTHZ_GRANTED;
    // Not a denial: that would make mod_authz_core answer 401 with the first factor's
    // challenge (a Basic password dialog). The handler, which runs before any other,
    // answers with the page instead of the content.
    apr_table_setn(r->notes, kActionNote, "page");
    return AUTHZ_GRANTED;
}

int second_factor_handler(request_rec* r, const char* action) {
    Flow flow(r, Mode::second_factor);
    if (!r->user) return HTTP_INTERNAL_SERVER_ERROR;
    if (!std::strcmp(action, "start")) return serve_start(flow);
    if (!std::strcmp(action, "logout")) return serve_logout(flow);
    if (r->main) return HTTP_UNAUTHORIZED;
    return require_login(flow);
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

int otp_login_note_auth_failure(request_rec* r, const char* auth_type) {
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
