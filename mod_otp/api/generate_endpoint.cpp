#include "api/api_call.h"
#include "mod_otp/api/api_endpoints.h"
#include "mod_otp/http/http_util.h"
#include "mod_otp/login/code_delivery.h"

APLOG_USE_MODULE(otp);

namespace {

otp::ApiError api_error_of(SendAnswer answer) {
    switch (answer) {
        case SendAnswer::too_soon:
            return otp::ApiError::resend_too_soon;
        case SendAnswer::limit_reached:
            return otp::ApiError::send_limit_reached;
        case SendAnswer::locked:
            return otp::ApiError::locked;
        case SendAnswer::pipe_busy:
            return otp::ApiError::pipe_busy;
        case SendAnswer::store_error:
            return otp::ApiError::store_error;
        case SendAnswer::store_full:
            return otp::ApiError::store_full;
        case SendAnswer::pipe_error:
        case SendAnswer::sent:
            break;
    }
    return otp::ApiError::pipe_error;
}

}  // namespace

int serve_generate(ApiRequest& api, std::string_view body) {
    auto parsed = otp::parse_generate_call(body);
    if (auto* error = std::get_if<otp::ApiCallError>(&parsed))
        return api_answer_error(api, error->error, {error->element});
    const otp::GenerateCall& call = std::get<otp::GenerateCall>(parsed);
    api.set_caller(call.caller);
    if (!api.login.delivers_codes()) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, api.login.r,
                      "verify API generate at %s: the location does not validate delivered "
                      "codes (OTPValidationPipe delivered)",
                      api.login.realm.path.c_str());
        return api_answer_error(api, otp::ApiError::generate_not_available);
    }
    const bool to_caller = otp_verify_returns_code(api.login.conf);
    if (!api.login.configured(to_caller))
        return api_answer_error(api, otp::ApiError::not_configured);

    const std::optional<otp::LoginAttempt> transaction = api.transaction(call.user);
    CodeIssue issue;
    issue.attempt = transaction ? &*transaction : nullptr;
    issue.user = call.user;
    issue.context = api.call;
    issue.return_code = to_caller;
    const SendResult sent = send_code(api.login, issue);
    if (sent.answer != SendAnswer::sent) {
        ApiErrorDetails details;
        details.retry_after = sent.retry_after;
        return api_answer_error(api, api_error_of(sent.answer), details);
    }
    const otp::OtpPolicy policy = otp_policy(api.login.conf);
    otp::JsonObject answer = api_success_body(api, call.user);
    answer.set("delivery", to_caller ? "caller" : "pre_pipe");
    if (to_caller) answer.set("otp", sent.code);
    answer.set("expiresIn", policy.delivered.lifetime);
    answer.set("uses", policy.delivered.uses);
    answer.set("resendAfter", sent.retry_after);
    return send_json(api.login.r, HTTP_OK, answer);
}
