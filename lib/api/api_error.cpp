#include "api/api_error.h"

namespace otp {

const std::vector<ApiErrorInfo>& api_errors() {
    static const std::vector<ApiErrorInfo> kTable = {
        {ApiError::malformed_request, 1000, "malformed_request", 400,
         "the body is not a JSON object (or a form), has duplicate members or invalid UTF-8"},
        {ApiError::missing_element, 1001, "missing_element", 400,
         "a mandatory element is absent or empty; `element` names it"},
        {ApiError::invalid_element, 1002, "invalid_element", 400,
         "an element has the wrong type, is too long or holds characters it may not; "
         "`element` names it"},
        {ApiError::unknown_token_type, 1003, "unknown_token_type", 400,
         "tokenType is not `session`"},
        {ApiError::body_too_large, 1004, "body_too_large", 413, "the body is over 8 KiB"},
        {ApiError::unsupported_media_type, 1005, "unsupported_media_type", 415,
         "not application/json (initiate: not application/x-www-form-urlencoded)"},
        {ApiError::method_not_allowed, 1006, "method_not_allowed", 405,
         "not POST (the answer says Allow: POST)"},
        {ApiError::not_found, 1007, "not_found", 404, "no such call under this location"},
        {ApiError::bad_origin, 1008, "bad_origin", 403,
         "a browser on another site sent the request (Origin, Sec-Fetch-Site)"},
        {ApiError::generate_not_available, 1009, "generate_not_available", 400,
         "generate needs OTPValidationPipe delivered at this location"},
        {ApiError::invalid_otp, 2000, "invalid_otp", 401,
         "wrong code (also for an unknown user or a code already used)"},
        {ApiError::expired, 2001, "expired", 401,
         "a generated code past its lifetime or its allowed uses"},
        {ApiError::retries_exhausted, 2002, "retries_exhausted", 429,
         "the clientTxnId used up OTPAllowedRetry or ended with an accepted code: start a new "
         "transaction"},
        {ApiError::locked, 2003, "locked", 429,
         "the user is locked out (OTPLockout); Retry-After and retryAfter say for how long"},
        {ApiError::invalid_token, 2004, "invalid_token", 401,
         "the token is not valid here: tampered, expired, from another location, or revoked "
         "by a lockout"},
        {ApiError::resend_too_soon, 2005, "resend_too_soon", 429,
         "generate: a code was made for this user less than 30 s ago"},
        {ApiError::send_limit_reached, 2006, "send_limit_reached", 429,
         "generate: the clientTxnId's 5 or the user's 50 codes a day are used up"},
        {ApiError::otp_required, 2007, "otp_required", 401,
         "initiate without otp: this server has no push channel (answered as granted:false)"},
        {ApiError::store_error, 3000, "store_error", 503, "the state store is unavailable"},
        {ApiError::store_full, 3001, "store_full", 503,
         "the state store has no room for the call's records"},
        {ApiError::pipe_error, 3002, "pipe_error", 503,
         "the exec pipe failed or timed out, or the pre-pipe cannot be started"},
        {ApiError::pipe_busy, 3003, "pipe_busy", 503, "OTPPipeMaxConcurrent programs are running"},
        {ApiError::not_configured, 3004, "not_configured", 500,
         "this location cannot serve the call (the error log says why)"},
        {ApiError::internal_error, 3005, "internal_error", 500, "a bug; the error log says more"},
    };
    return kTable;
}

const ApiErrorInfo& api_error_info(ApiError error) {
    for (const ApiErrorInfo& info : api_errors())
        if (info.error == error) return info;
    return api_errors().back();  // internal_error
}

std::string api_message_key(ApiError error) {
    return std::string("verify_api.") + api_error_info(error).name;
}

ApiError api_error_for(Verdict verdict) {
    switch (verdict) {
        case Verdict::invalid_otp:
        case Verdict::replay:
        case Verdict::unknown_user:
            return ApiError::invalid_otp;
        case Verdict::locked:
        case Verdict::address_locked:
            return ApiError::locked;
        case Verdict::retries_exhausted:
            return ApiError::retries_exhausted;
        case Verdict::expired:
            return ApiError::expired;
        case Verdict::store_error:
            return ApiError::store_error;
        case Verdict::store_full:
            return ApiError::store_full;
        case Verdict::pipe_error:
            return ApiError::pipe_error;
        case Verdict::pipe_busy:
            return ApiError::pipe_busy;
        case Verdict::accepted:
            break;
    }
    return ApiError::internal_error;
}

}  // namespace otp
