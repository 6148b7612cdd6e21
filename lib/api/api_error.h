// The verify API's errors (README "Verify API"): one table of numeric errorCode, name, HTTP
// status and message, so the answers, the README and the tests spell each the same way.
// Codes are a public interface (callers switch on them): never renumber one.
//   1xxx  the request is wrong (the caller's fault; 4xx)
//   2xxx  the code, the user or the token is refused (401, 429)
//   3xxx  mod_otp or a dependency failed (5xx): fail closed, try again later
#pragma once

#include <string>
#include <vector>

#include "verify/verifier.h"

namespace otp {

enum class ApiError {
    malformed_request,
    missing_element,
    invalid_element,
    unknown_token_type,
    body_too_large,
    unsupported_media_type,
    method_not_allowed,
    not_found,
    bad_origin,
    generate_not_available,
    invalid_otp,
    expired,
    retries_exhausted,
    locked,
    invalid_token,
    resend_too_soon,
    send_limit_reached,
    otp_required,
    store_error,
    store_full,
    pipe_error,
    pipe_busy,
    not_configured,
    internal_error,
};

struct ApiErrorInfo {
    ApiError error;
    int code;           // errorCode
    const char* name;   // "invalid_otp": the "error" member and the message's key
    int http_status;
    const char* summary;  // for the README's table
};

// Every error, in errorCode order.
const std::vector<ApiErrorInfo>& api_errors();
const ApiErrorInfo& api_error_info(ApiError error);

// The translation key of its message: "verify_api.<name>".
std::string api_message_key(ApiError error);

// What a refused guess is answered with: wrong code, replay and unknown user are all
// invalid_otp (no answer tells whether a user exists); address_locked is locked.
// `accepted` is not an error: it maps to internal_error.
ApiError api_error_for(Verdict verdict);

}  // namespace otp
