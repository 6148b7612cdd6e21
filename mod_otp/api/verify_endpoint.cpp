#include "api/api_call.h"
#include "mod_otp/api/api_code_check.h"
#include "mod_otp/api/api_endpoints.h"
#include "mod_otp/http/http_util.h"

APLOG_USE_MODULE(otp);

int serve_verify(ApiRequest& api, std::string_view body) {
    auto parsed = otp::parse_verify_call(body);
    if (auto* error = std::get_if<otp::ApiCallError>(&parsed))
        return api_answer_error(api, error->error, {error->element});
    const otp::VerifyCall& call = std::get<otp::VerifyCall>(parsed);
    api.set_caller(call.caller);
    if (!api.login.configured(otp_verify_returns_code(api.login.conf)))
        return api_answer_error(api, otp::ApiError::not_configured);

    const std::optional<otp::LoginAttempt> transaction = api.transaction(call.user);
    const otp::Verification result =
        check_api_code(api, call.user, call.otp, transaction ? &*transaction : nullptr);
    if (result.verdict != otp::Verdict::accepted) {
        ApiErrorDetails details;
        details.attempts_left = result.attempts_left;
        details.retry_after = result.retry_after;
        return api_answer_error(api, otp::api_error_for(result.verdict), details);
    }
    otp::JsonObject answer = api_success_body(api, call.user);
    if (call.session_token) {
        auto token = issue_api_token(api, call.user);
        if (!token) {
            // The code was right and is used up; say so rather than pretend it was wrong.
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, api.login.r,
                          "user \"%s\": code accepted but no session token could be sealed",
                          call.user.c_str());
            return api_answer_error(api, otp::ApiError::internal_error);
        }
        answer.set("token", *token);
    }
    return send_json(api.login.r, HTTP_OK, answer);
}
