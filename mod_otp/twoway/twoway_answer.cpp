#include "mod_otp/twoway/twoway_answer.h"

#include "mod_otp/http/http_util.h"

int two_way_http_status(otp::TwoWayStatus status) {
    switch (status) {
        case otp::TwoWayStatus::ok:
            return HTTP_OK;
        case otp::TwoWayStatus::wrong_response:
            return HTTP_UNAUTHORIZED;
        case otp::TwoWayStatus::not_entered:
            return HTTP_CONFLICT;
        case otp::TwoWayStatus::unrecoverable:
            return HTTP_GONE;
        case otp::TwoWayStatus::rate_limited:
            return HTTP_TOO_MANY_REQUESTS;
        case otp::TwoWayStatus::store_error:
            break;
    }
    return HTTP_SERVICE_UNAVAILABLE;
}

int answer_two_way_refusal(request_rec* r, otp::TwoWayStatus status, const char* error,
                           int attempts_left, std::int64_t retry_after) {
    otp::JsonObject body;
    body.set("status", static_cast<int>(status));
    body.set("error", error);
    if (attempts_left >= 0) body.set("attemptsLeft", attempts_left);
    if (retry_after > 0) {
        body.set("retryAfter", retry_after);
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                    static_cast<apr_int64_t>(retry_after)));
    }
    return send_json(r, two_way_http_status(status), body);
}

int answer_two_way_bad_request(request_rec* r, otp::ApiError error, const std::string& element) {
    const otp::ApiErrorInfo& info = otp::api_error_info(error);
    otp::JsonObject body;
    body.set("status", info.http_status >= 500 ? static_cast<int>(otp::TwoWayStatus::store_error)
                                               : kTwoWayBadRequest);
    body.set("error", info.name);
    if (!element.empty()) body.set("element", element);
    return send_json(r, info.http_status, body);
}

int answer_two_way_not_logged_in(request_rec* r) {
    otp::JsonObject body;
    body.set("status", kTwoWayNotLoggedIn);
    body.set("error", "not_logged_in");
    return send_json(r, HTTP_UNAUTHORIZED, body);
}
