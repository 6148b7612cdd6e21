// The shared context of one verify-API call (SetHandler otp-verify): the location's
// configuration, store, verifier and limits (a LoginRequest, as the login flow has), our id of
// the call, and what the caller said about itself, which events and pipes carry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_call.h"
#include "api/api_error.h"
#include "mod_otp/login/login_request.h"
#include "mod_otp/pipes/pipe_context.h"
#include "util/json_body.h"

struct ApiRequest {
    LoginRequest login;
    std::string txn_id;    // txnId in every answer; the request's id (request_id in events)
    std::string language;  // of the messages: AR_WF_LOCALE_ID's, else "en"
    PipeCallContext call;  // events and pipes: CUSTOMER_IDENTIFIER, caller_id, client_txn_id, ...
    otp::CallerInput caller;

    explicit ApiRequest(request_rec* r);

    // Takes in what the caller said: orgName becomes CUSTOMER_IDENTIFIER unless
    // OTPCustomerIdentifier gives one; caller_id, client_txn_id and txn_id join every event.
    void set_caller(const otp::CallerInput& input);

    // The caller's transaction for `user`: OTPAllowedRetry counts wrong codes in it. Derived
    // from the clientTxnId, the location and the user, so one caller's ids never reach
    // another location's or another user's count. nullopt without a clientTxnId.
    std::optional<otp::LoginAttempt> transaction(const std::string& user) const;

    // The localized message of `error`.
    std::string message(otp::ApiError error) const;
};

// What an error answer adds besides errorCode, error, message, clientTxnId and txnId.
struct ApiErrorDetails {
    std::string element;           // missing_element / invalid_element
    int attempts_left = -1;        // in the clientTxnId after a refused code
    std::int64_t retry_after = 0;  // locked, resend limits (also as Retry-After)
};

// {"status":"ERROR","errorCode":…,"error":…,"message":…,"clientTxnId":…,"txnId":…} with the
// error's HTTP status. Returns OK (the handler's answer is complete).
int api_answer_error(ApiRequest& api, otp::ApiError error, const ApiErrorDetails& details = {});

// {"status":"SUCCESS","clientTxnId":…,"txnId":…,"userName":…,"orgName":…}: the start of every
// success answer; the call adds its own members.
otp::JsonObject api_success_body(const ApiRequest& api, const std::string& user);
