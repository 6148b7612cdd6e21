#include "mod_otp/twoway/twoway_handler.h"

#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "login/csrf_token.h"
#include "mod_otp/api/api_endpoints.h"
#include "mod_otp/config/section.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/events/verification_events.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/http/http_util.h"
#include "mod_otp/login/code_delivery.h"
#include "mod_otp/twoway/twoway_answer.h"
#include "twoway/two_way_request.h"
#include "twoway/two_way_steps.h"
#include "util/ascii.h"
#include "web/login_page.h"
#include "web/portal_page.h"

APLOG_USE_MODULE(otp);

namespace {

constexpr const char* kAppHandler = "otp-twoway";
constexpr const char* kPortalHandler = "otp-twoway-portal";

// The context of one two-way request: the location (as the verify API has it), the flows of
// this virtual host, and the verifier their guesses go through.
struct TwoWayRequest {
    ApiRequest api;
    otp::TwoWayPolicy policy;
    const otp::HmacSha256Key* key;
    // Lockouts of two-way steps are this virtual host's, apart from any users file's: the
    // portal's users come from the portal's own login.
    otp::Verifier verifier;

    explicit TwoWayRequest(request_rec* r)
        : api(r),
          policy(otp_two_way_policy(api.login.conf)),
          key(otp_code_key(r->server)),
          verifier(api.login.store, api.login.limits_policy,
                   "two-way of " + std::string(r->server->server_hostname
                                                   ? r->server->server_hostname
                                                   : "") +
                       ":" + std::to_string(r->server->port)) {
        api.call.origin.call_fields.clear();  // no txn_id: the request_id says it all here
    }

    request_rec* r() const { return api.login.r; }
    EventOrigin origin_with_flow(const std::string& flow_ref) const {
        EventOrigin origin = api.call.origin;
        if (!flow_ref.empty()) origin.call_fields.emplace_back("flow", flow_ref);
        return origin;
    }
};

// The call is the path below the location, as for the verify API.
std::string call_of(request_rec* r) {
    auto* conf = static_cast<otp_dir_config*>(ap_get_module_config(r->per_dir_config, &otp_module));
    const std::string prefix = protected_section(r, conf).url_path;
    std::string_view uri = r->uri ? r->uri : "";
    std::string_view rest;
    if (is_prefix_path(prefix, uri)) {
        rest = uri.substr(prefix.size());
    } else {
        for (std::string_view call : {"/init", "/complete", "/token"})
            if (otp::ends_with(uri, call)) rest = call;
    }
    while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
    return std::string(rest);
}

const char* failure_name(const otp::TwoWayStep& step) {
    const std::string_view reason = step.reason;
    if (reason == "replay") return "completed";
    return step.reason[0] ? step.reason : "expired";
}

int answer_store_failure(TwoWayRequest& t, const char* what, bool full) {
    const char* error = full ? "store_full" : "store_error";
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, t.r(), "two-way: %s (%s): the state store failed",
                  what, error);
    otp_emit_event(t.api.call.origin, otp::event::kStoreError, "",
                   {{"reason", what}, {"error", error}});
    return answer_two_way_refusal(t.r(), otp::TwoWayStatus::store_error, error);
}

// ---- the app's side -----------------------------------------------------------------------

int serve_init(TwoWayRequest& t) {
    request_rec* r = t.r();
    otp::TwoWayFlows flows(t.api.login.store, *t.key);
    const otp::TwoWayInit init = flows.init(t.policy, r->useragent_ip ? r->useragent_ip : "",
                                            t.api.login.realm.id, unix_now());
    switch (init.status) {
        case otp::TwoWayStatus::ok:
            break;
        case otp::TwoWayStatus::rate_limited:
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "two-way init refused: more than OTPTwoWayInitRate %u a minute from %s",
                          t.policy.init_rate, r->useragent_ip);
            return answer_two_way_refusal(r, init.status, "rate_limited", -1,
                                          otp::kTwoWayInitWindow);
        default:
            return answer_store_failure(t, "cannot start a two-way flow", init.store_full);
    }
    const std::string flow_ref = flows.flow_ref(init.flow);
    otp_emit_event(t.origin_with_flow(flow_ref), otp::event::kTwoWayStarted, flow_ref,
                   {{"lifetime", t.policy.lifetime}});
    otp::JsonObject body;
    body.set("status", 2000);
    body.set("data", init.client_code);
    body.set("flow", init.flow);
    body.set("expiresIn", t.policy.lifetime);
    return send_json(r, HTTP_OK, body);
}

int serve_complete(TwoWayRequest& t, std::string_view body) {
    request_rec* r = t.r();
    auto parsed = otp::parse_two_way_complete(body);
    if (auto* error = std::get_if<otp::ApiCallError>(&parsed))
        return answer_two_way_bad_request(r, error->error, error->element);
    const otp::TwoWayCompleteCall& call = std::get<otp::TwoWayCompleteCall>(parsed);
    otp::TwoWayFlows flows(t.api.login.store, *t.key);
    const otp::TwoWayStep step =
        otp::complete_flow(flows, t.verifier, t.policy, call.flow, call.response,
                           t.api.login.realm.id, unix_now());
    const EventOrigin origin = t.origin_with_flow(step.flow_ref);
    if (step.verified) {
        otp_report_verification(r, origin, step.user, step.verification);
    } else {
        // Refused before any comparison: the flow is not coupled (yet), or not there.
        const char* reason = step.status == otp::TwoWayStatus::not_entered ? "unknown_user"
                             : step.status == otp::TwoWayStatus::store_error ? step.reason
                                                                              : "expired";
        otp_emit_event(origin, otp::event::kValidationFailed, step.flow_ref, {{"reason", reason}});
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "two-way complete of flow %s refused (%s)",
                      step.flow_ref.c_str(),
                      step.status == otp::TwoWayStatus::not_entered ? "not entered on a portal"
                                                                    : reason);
    }
    switch (step.status) {
        case otp::TwoWayStatus::ok: {
            otp::JsonObject answer;
            answer.set("status", 2000);
            answer.set("user", step.user);
            if (auto token = issue_api_token(t.api, step.user))
                answer.set("token", *token);
            else  // the flow is completed either way; the app only lacks the token
                ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                              "two-way flow %s completed for user \"%s\" but no session token "
                              "could be sealed",
                              step.flow_ref.c_str(), step.user.c_str());
            return send_json(r, HTTP_OK, answer);
        }
        case otp::TwoWayStatus::wrong_response:
            return answer_two_way_refusal(r, step.status, "wrong_response", step.attempts_left);
        case otp::TwoWayStatus::not_entered:
            return answer_two_way_refusal(r, step.status, "not_entered");
        case otp::TwoWayStatus::unrecoverable:
            return answer_two_way_refusal(r, step.status, failure_name(step));
        case otp::TwoWayStatus::rate_limited:
            return answer_two_way_refusal(r, step.status, step.reason, -1, step.retry_after);
        case otp::TwoWayStatus::store_error:
            break;
    }
    return answer_two_way_refusal(r, otp::TwoWayStatus::store_error, step.reason);
}

int serve_app(TwoWayRequest& t) {
    request_rec* r = t.r();
    const std::string call = call_of(r);
    if (call != "init" && call != "complete" && call != "token")
        return answer_two_way_bad_request(r, otp::ApiError::not_found);
    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return answer_two_way_bad_request(r, otp::ApiError::method_not_allowed);
    }
    if (!same_origin_request(r)) return answer_two_way_bad_request(r, otp::ApiError::bad_origin);
    if (call == "init") {
        // No body is needed; whatever comes is read (bounded) and ignored.
        std::string ignored;
        if (read_body(r, otp::kMaxApiBodyBytes, &ignored) == HTTP_REQUEST_ENTITY_TOO_LARGE)
            return answer_two_way_bad_request(r, otp::ApiError::body_too_large);
        return serve_init(t);
    }
    const char* content_type = apr_table_get(r->headers_in, "Content-Type");
    if (!otp::is_media_type(content_type ? content_type : "", "application/json"))
        return answer_two_way_bad_request(r, otp::ApiError::unsupported_media_type);
    std::string body;
    const int read = read_body(r, otp::kMaxApiBodyBytes, &body);
    if (read == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return answer_two_way_bad_request(r, otp::ApiError::body_too_large);
    if (read != OK) return answer_two_way_bad_request(r, otp::ApiError::malformed_request);
    if (call == "token") return serve_token(t.api, body, t.verifier.limits());
    return serve_complete(t, body);
}

// ---- the portal's side --------------------------------------------------------------------

std::string portal_csrf_id(const TwoWayRequest& t) {
    return "two-way portal\n" + std::string(t.r()->user) + "\n" + t.api.login.realm.path;
}

int send_portal_page(TwoWayRequest& t, int status, const std::string& response,
                     const char* error_key) {
    request_rec* r = t.r();
    otp::PortalPageModel model;
    model.lang = login_call_context(t.api.login).locale;
    model.user = r->user;
    model.csrf = otp::make_csrf_token(t.api.login.csrf_key(), portal_csrf_id(t));
    model.action = otp::same_origin_link(r->uri);
    model.response = response;
    model.error_key = error_key ? error_key : "";
    // The client code was made by the app's location, whose OTPTwoWayCode this one may not
    // share: the field takes any code; only the keyboard follows this location's charset.
    model.alphanumeric = t.policy.code.charset == otp::CodeCharset::alphanumeric;
    model.code_length = otp::kMaxDeliveredLength;
    apr_table_set(r->err_headers_out, "Content-Security-Policy", otp::portal_page_csp().c_str());
    apr_table_set(r->err_headers_out, "Content-Language", model.lang.c_str());
    return send_body(r, status, "text/html; charset=utf-8",
                     otp::render_portal_page(t.api.login.translations(), model));
}

int serve_portal(TwoWayRequest& t) {
    request_rec* r = t.r();
    if (!r->user || !*r->user) return answer_two_way_not_logged_in(r);
    if (r->method_number == M_GET) return send_portal_page(t, HTTP_OK, "", nullptr);
    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "GET, POST");
        return answer_two_way_bad_request(r, otp::ApiError::method_not_allowed);
    }
    if (!same_origin_request(r)) return answer_two_way_bad_request(r, otp::ApiError::bad_origin);
    const char* content_type = apr_table_get(r->headers_in, "Content-Type");
    const bool form =
        otp::is_media_type(content_type ? content_type : "", "application/x-www-form-urlencoded");
    if (!form && !otp::is_media_type(content_type ? content_type : "", "application/json"))
        return answer_two_way_bad_request(r, otp::ApiError::unsupported_media_type);
    std::string body;
    const int read = read_body(r, otp::kMaxApiBodyBytes, &body);
    if (read == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return answer_two_way_bad_request(r, otp::ApiError::body_too_large);
    if (read != OK) return answer_two_way_bad_request(r, otp::ApiError::malformed_request);
    auto parsed = form ? otp::parse_two_way_portal_form(body) : otp::parse_two_way_portal_json(body);
    if (auto* error = std::get_if<otp::ApiCallError>(&parsed)) {
        if (form && error->element == "data")
            return send_portal_page(t, HTTP_BAD_REQUEST, "", "twoway.missing_code");
        return answer_two_way_bad_request(r, error->error, error->element);
    }
    const otp::TwoWayPortalCall& call = std::get<otp::TwoWayPortalCall>(parsed);
    // The page's form must carry the page's token: another site cannot make a logged-in
    // person's browser couple that site's app to them.
    if (form && !otp::check_csrf_token(t.api.login.csrf_key(), portal_csrf_id(t), call.csrf))
        return answer_two_way_bad_request(r, otp::ApiError::bad_origin, "csrf");
    const std::string user = r->user;
    if (user.size() > otp::kTwoWayMaxUserBytes) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "two-way portal: a user name of %" APR_SIZE_T_FMT
                      " bytes is longer than a flow holds (%" APR_SIZE_T_FMT ")",
                      static_cast<apr_size_t>(user.size()),
                      static_cast<apr_size_t>(otp::kTwoWayMaxUserBytes));
        return answer_two_way_bad_request(r, otp::ApiError::invalid_element, "user");
    }
    otp::TwoWayFlows flows(t.api.login.store, *t.key);
    const otp::TwoWayStep step =
        otp::enter_client_code(flows, t.verifier, t.policy, call.code, user, unix_now());
    const EventOrigin origin = t.origin_with_flow(step.flow_ref);
    if (step.status == otp::TwoWayStatus::ok) {
        otp_emit_event(origin, otp::event::kTwoWayCodeEntered, user, {}, "two-way");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "two-way: user \"%s\" entered a client code",
                      user.c_str());
    } else {
        otp_report_verification(r, origin, user, step.verification);
    }
    const char* error = step.status == otp::TwoWayStatus::unrecoverable ? "invalid_code"
                        : step.status == otp::TwoWayStatus::ok          ? ""
                                                                        : step.reason;
    if (form) {
        const int status = two_way_http_status(step.status);
        if (step.status == otp::TwoWayStatus::ok) return send_portal_page(t, status, step.response, nullptr);
        const std::string key = std::string("twoway.error_") + error;
        if (step.retry_after > 0)
            apr_table_setn(r->err_headers_out, "Retry-After",
                           apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                        static_cast<apr_int64_t>(step.retry_after)));
        return send_portal_page(t, status, "", apr_pstrdup(r->pool, key.c_str()));
    }
    if (step.status != otp::TwoWayStatus::ok)
        return answer_two_way_refusal(r, step.status, error, -1, step.retry_after);
    otp::JsonObject answer;
    answer.set("status", 2000);
    answer.set("data", step.response);
    return send_json(r, HTTP_OK, answer);
}

int serve(request_rec* r, bool portal) {
    TwoWayRequest t(r);
    if (!t.key) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "two-way: no key for this server's flows");
        return answer_two_way_bad_request(r, otp::ApiError::not_configured);
    }
    return portal ? serve_portal(t) : serve_app(t);
}

}  // namespace

int otp_twoway_handler(request_rec* r) {
    if (!r->handler) return DECLINED;
    const bool app = !std::strcmp(r->handler, kAppHandler);
    const bool portal = !std::strcmp(r->handler, kPortalHandler);
    if (!app && !portal) return DECLINED;
    try {
        return serve(r, portal);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "two-way API: internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "two-way API: internal error");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}
