// Toopher's POST /authentication_requests/initiate, for clients written against it: the
// authentication request is decided at once (there is no push channel), so it is never
// pending. The code goes through the same verifier as every other way in.
//   granted     the otp was right
//   not granted the otp was wrong, expired, or the user is locked out; or no otp was given
//               (reason_code 2007: an OTP is required)
// Failures of mod_otp or a dependency are not "not granted" but Toopher-style errors
// (HTTP 5xx, {"error_code","error_message"}), as are malformed requests (HTTP 4xx): a client
// must never read a broken store as a decision.
#include "api/api_call.h"
#include "mod_otp/api/api_code_check.h"
#include "mod_otp/api/api_endpoints.h"
#include "mod_otp/http/http_util.h"

APLOG_USE_MODULE(otp);

namespace {

}  // namespace

int answer_initiate_error(ApiRequest& api, otp::ApiError error, const std::string& element) {
    const otp::ApiErrorInfo& info = otp::api_error_info(error);
    std::string message = api.message(error);
    if (!element.empty()) message += " (" + element + ")";
    otp::JsonObject body;
    body.set("error_code", info.code);
    body.set("error_message", message);
    return send_json(api.login.r, info.http_status, body);
}

namespace {

int answer_decision(ApiRequest& api, const otp::InitiateCall& call, bool granted,
                    otp::ApiError refusal, std::int64_t retry_after) {
    request_rec* r = api.login.r;
    otp::JsonObject body;
    body.set("id", api.txn_id);
    body.set("pending", false);
    body.set("granted", granted);
    body.set("automated", false);
    body.set("reason", granted ? api.login.translations().text(api.language,
                                                                "verify_api.granted")
                               : api.message(refusal));
    body.set("reason_code", granted ? 0 : otp::api_error_info(refusal).code);
    otp::JsonObject user;
    user.set("name", call.user);
    body.set("user", user);
    otp::JsonObject action;
    action.set("name", call.action_name.empty() ? "log in" : call.action_name);
    body.set("action", action);
    if (!call.terminal_name.empty()) {
        otp::JsonObject terminal;
        terminal.set("name", call.terminal_name);
        body.set("terminal", terminal);
    }
    if (!call.pairing_id.empty()) body.set("pairing_id", call.pairing_id);
    if (retry_after > 0)
        apr_table_setn(r->headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                    static_cast<apr_int64_t>(retry_after)));
    return send_json(r, HTTP_OK, body);
}

}  // namespace

int serve_initiate(ApiRequest& api, std::string_view body) {
    auto parsed = otp::parse_initiate_form(body);
    if (auto* error = std::get_if<otp::ApiCallError>(&parsed))
        return answer_initiate_error(api, error->error, error->element);
    const otp::InitiateCall& call = std::get<otp::InitiateCall>(parsed);
    if (!api.login.configured(otp_verify_returns_code(api.login.conf)))
        return answer_initiate_error(api, otp::ApiError::not_configured);
    if (!call.has_otp) {
        // Nothing was compared and nothing is counted: there is no code to guess with.
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, api.login.r,
                      "authentication request for user \"%s\" without an otp: not granted "
                      "(no push channel)",
                      call.user.c_str());
        return answer_decision(api, call, false, otp::ApiError::otp_required, 0);
    }
    const otp::Verification result = check_api_code(api, call.user, call.otp, nullptr);
    if (result.verdict == otp::Verdict::accepted)
        return answer_decision(api, call, true, otp::ApiError::internal_error, 0);
    const otp::ApiError refusal = otp::api_error_for(result.verdict);
    if (otp::api_error_info(refusal).http_status >= 500) return answer_initiate_error(api, refusal);
    return answer_decision(api, call, false, refusal, result.retry_after);
}
