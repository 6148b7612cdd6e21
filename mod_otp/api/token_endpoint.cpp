// Session tokens of the verify API. A token is the session cookie's sealed format (AES-256-GCM
// with the server's session key) holding the user, this location and the time of issue, in a
// realm of its own: it is never a session cookie anywhere, nor a token of another location.
// No server-side record is made: a token is valid until OTPSessionLifetime after its issue,
// unless a lockout of its user revokes it (the lockout's revocation time is checked).
#include <string>

#include "events/event_catalogue.h"
#include "mod_otp/api/api_endpoints.h"
#include "mod_otp/http/clock.h"
#include "mod_otp/http/http_util.h"
#include "mod_otp/session/session_gate.h"
#include "crypto/digest.h"
#include "util/base64url.h"

APLOG_USE_MODULE(otp);

namespace {

std::string token_realm(const ApiRequest& api) {
    return "mod_otp verify token v1\n" + api.login.realm.id;
}

std::string utc(std::int64_t unix_seconds) { return otp::format_utc_millis(unix_seconds * 1000); }

}  // namespace

std::optional<otp::JsonObject> issue_api_token(ApiRequest& api, const std::string& user) {
    auto id = otp::random_bytes(18);
    if (!id) return std::nullopt;
    const std::int64_t now = unix_now();
    const otp::SessionClaims claims{otp::base64url_encode(*id), user, api.login.realm.path, now,
                                    now};
    auto sealed = sealer_for(api.login.r).seal(claims, token_realm(api));
    if (!sealed) return std::nullopt;
    const std::int64_t lifetime = otp_session_lifetime(api.login.conf);
    otp::JsonObject token;
    token.set("type", "session");
    token.set("value", *sealed);
    token.set("issuedAt", utc(now));
    token.set("expiresAt", utc(now + lifetime));
    token.set("expiresIn", lifetime);
    return token;
}

int serve_token(ApiRequest& api, std::string_view body, otp::LoginLimits& revocations) {
    request_rec* r = api.login.r;
    auto parsed = otp::parse_token_call(body);
    if (auto* error = std::get_if<otp::ApiCallError>(&parsed))
        return api_answer_error(api, error->error, {error->element});
    const std::string& value = std::get<otp::TokenCall>(parsed).token;
    auto claims = sealer_for(r).open(value, token_realm(api));
    const std::int64_t now = unix_now();
    const std::int64_t lifetime = otp_session_lifetime(api.login.conf);
    // No idle limit: a token is checked now and then, not used on every request.
    if (!claims || otp::check_session(*claims, api.login.realm.path, now, lifetime, 0) !=
                       otp::SessionState::valid) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "verify API token refused: %s",
                      claims ? "expired or from another location" : "not a token of this location");
        return api_answer_error(api, otp::ApiError::invalid_token);
    }
    bool store_error = false;
    auto revoked_at = revocations.sessions_revoked_at(claims->user, &store_error);
    if (store_error) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "verify API token of user \"%s\": the lockout record cannot be read "
                      "(store_error); refused",
                      claims->user.c_str());
        return api_answer_error(api, otp::ApiError::store_error);
    }
    if (revoked_at && *revoked_at >= claims->issued_at) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "verify API token of user \"%s\" refused: revoked by a lockout",
                      claims->user.c_str());
        return api_answer_error(api, otp::ApiError::invalid_token);
    }
    otp::JsonObject answer;
    answer.set("status", "VALID");
    answer.set("txnId", api.txn_id);
    answer.set("userName", claims->user);
    answer.set("issuedAt", utc(claims->issued_at));
    answer.set("expiresAt", utc(claims->issued_at + lifetime));
    answer.set("expiresIn", claims->issued_at + lifetime - now);
    return send_json(r, HTTP_OK, answer);
}
