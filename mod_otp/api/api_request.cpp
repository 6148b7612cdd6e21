#include "mod_otp/api/api_request.h"

#include "crypto/digest.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/http/http_util.h"
#include "util/base64url.h"

ApiRequest::ApiRequest(request_rec* r)
    : login(r, Mode::login), txn_id(otp_request_id(r)), language(otp::kDefaultLanguage) {
    call.origin = otp_event_origin(r);
    call.origin.call_fields.emplace_back("txn_id", txn_id);
    call.locale = language;
}

void ApiRequest::set_caller(const otp::CallerInput& input) {
    caller = input;
    if (call.origin.customer.empty()) call.origin.customer = input.org_name;
    auto& fields = call.origin.call_fields;
    fields.clear();
    if (!input.caller_id.empty()) fields.emplace_back("caller_id", input.caller_id);
    if (!input.client_txn_id.empty()) fields.emplace_back("client_txn_id", input.client_txn_id);
    fields.emplace_back("txn_id", txn_id);
    const std::string asked = otp::api_locale(input.locale);
    language = asked.empty() ? otp::kDefaultLanguage : asked;
    call.locale = language;
}

std::optional<otp::LoginAttempt> ApiRequest::transaction(const std::string& user) const {
    if (caller.client_txn_id.empty()) return std::nullopt;
    const std::string digest = otp::sha256(otp::length_prefixed(
        {"mod_otp verify transaction", login.realm.id, caller.client_txn_id, user}));
    // Created now: its count lives for the attempt lifetime after its latest wrong code.
    return otp::LoginAttempt{otp::base64url_encode(digest).substr(0, 24), user, "", unix_now()};
}

std::string ApiRequest::message(otp::ApiError error) const {
    return login.translations().text(language, otp::api_message_key(error));
}

int api_answer_error(ApiRequest& api, otp::ApiError error, const ApiErrorDetails& details) {
    request_rec* r = api.login.r;
    const otp::ApiErrorInfo& info = otp::api_error_info(error);
    otp::JsonObject body;
    body.set("status", "ERROR");
    body.set("errorCode", info.code);
    body.set("error", info.name);
    body.set("message", api.message(error));
    if (!details.element.empty()) body.set("element", details.element);
    if (details.attempts_left >= 0) body.set("attemptsLeft", details.attempts_left);
    if (details.retry_after > 0) {
        body.set("retryAfter", details.retry_after);
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                    static_cast<apr_int64_t>(details.retry_after)));
    }
    if (!api.caller.client_txn_id.empty()) body.set("clientTxnId", api.caller.client_txn_id);
    body.set("txnId", api.txn_id);
    return send_json(r, info.http_status, body);
}

otp::JsonObject api_success_body(const ApiRequest& api, const std::string& user) {
    otp::JsonObject body;
    body.set("status", "SUCCESS");
    if (!api.caller.client_txn_id.empty()) body.set("clientTxnId", api.caller.client_txn_id);
    body.set("txnId", api.txn_id);
    body.set("userName", user);
    if (!api.caller.org_name.empty()) body.set("orgName", api.caller.org_name);
    return body;
}
