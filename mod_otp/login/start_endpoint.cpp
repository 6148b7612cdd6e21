#include "mod_otp/login/start_endpoint.h"

#include "verify/code_validator.h"
#include "login/csrf_token.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/http/http_util.h"
#include "web/login_page.h"
#include "mod_otp/login/login_page_response.h"
#include "login/start_request.h"
#include "mod_otp/users/users_lookup.h"

APLOG_USE_MODULE(otp);

namespace {

struct StartAnswer {
    int status = HTTP_OK;
    std::string error;  // empty on success
    int attempts_left = -1;
    std::int64_t retry_after = 0;
    std::string redirect;
};

StartAnswer refuse(int status, std::string error, int attempts_left = -1,
                   std::int64_t retry_after = 0) {
    StartAnswer answer;
    answer.status = status;
    answer.error = std::move(error);
    answer.attempts_left = attempts_left;
    answer.retry_after = retry_after;
    return answer;
}

StartAnswer completed(std::string redirect) {
    StartAnswer answer;
    answer.redirect = std::move(redirect);
    return answer;
}

int answer_start(Flow& flow, bool form, const otp::LoginAttempt* attempt, const StartAnswer& answer,
                 const std::string& user) {
    request_rec* r = flow.r;
    if (answer.retry_after > 0)
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                    static_cast<apr_int64_t>(answer.retry_after)));
    if (answer.error.empty()) {
        if (form) return send_redirect(r, HTTP_SEE_OTHER, answer.redirect);
        otp::JsonObject body;
        body.set("status", "COMPLETED");
        body.set("redirect", answer.redirect);
        return send_json(r, HTTP_OK, body);
    }
    if (!form || !attempt) {
        otp::JsonObject body;
        body.set("status", "ERROR");
        body.set("error", answer.error);
        if (answer.attempts_left >= 0) body.set("attempts_left", answer.attempts_left);
        return send_json(r, answer.status, body);
    }
    PageOptions options;
    options.status = answer.status;
    options.error_key = otp::error_translation_key(answer.error);
    options.attempts_left = answer.attempts_left;
    options.disabled = answer.status == HTTP_TOO_MANY_REQUESTS;
    options.user = user;
    return serve_page(flow, *attempt, Endpoint::start, options);
}

// Checks the code for `user` within `attempt`; the heart of the flow.
StartAnswer validate_in_attempt(Flow& flow, const otp::LoginAttempt& attempt,
                                const std::string& user, const otp::StartRequest& request,
                                const std::string& redirect) {
    request_rec* r = flow.r;
    const std::int64_t now = unix_now();
    otp::Admission admission = flow.limits.admit(attempt, user, now);
    if (admission.user_unlocked) otp_emit_request_event(r, otp::event::kUserUnlocked, user, {});
    switch (admission.verdict) {
        case otp::GateVerdict::proceed:
            break;
        case otp::GateVerdict::locked:
            emit_failure(flow, user, "locked", -1, nullptr);
            return refuse(HTTP_TOO_MANY_REQUESTS, "locked", -1, admission.retry_after);
        case otp::GateVerdict::retries_exhausted:
            emit_failure(flow, user, "retries_exhausted", 0, nullptr);
            return refuse(HTTP_TOO_MANY_REQUESTS, "retries_exhausted");
        case otp::GateVerdict::store_error:
            emit_failure(flow, user, "store_error", -1, nullptr);
            otp_emit_request_event(r, otp::event::kStoreError, user,
                                   {{"reason", "attempt counters unavailable"}});
            return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
    }

    auto index = otp_users_index(r, flow.conf);
    if (!index) {
        emit_failure(flow, user, "store_error", -1, nullptr);
        return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
    }
    const std::string users_path(flow.conf->users_file);
    otp::ValidationResult result =
        otp::validate_code(otp::UsersSource{*index, users_path}, flow.store, otp_policy(flow.conf),
                           user, request.otp, otp::PinUse::not_used, now);

    if (result.outcome == otp::ValidationOutcome::accepted) {
        flow.limits.record_success(attempt, user);
        otp::SessionClaims session;
        if (!start_session(r, flow.conf, flow.scope, flow.store, user, &session)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "user \"%s\": code accepted but no session could be started",
                          user.c_str());
            otp_emit_request_event(r, otp::event::kStoreError, user,
                                   {{"reason", "cannot start a session"}});
            return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
        }
        clear_cookie(r, flow.scope.attempt_cookie_name.c_str(), flow.scope.path);
        otp_emit_request_event(r, otp::event::kValidated, user, {}, result.pipe);
        otp_emit_request_event(r, otp::event::kSessionStarted, user, {}, result.pipe);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "user \"%s\": %s code accepted, session started", user.c_str(), result.pipe);
        return completed(redirect);
    }

    const char* reason = otp::outcome_reason(result.outcome);
    ap_log_rerror(APLOG_MARK,
                  result.outcome == otp::ValidationOutcome::store_error ? APLOG_ERR : APLOG_WARNING,
                  0, r, "user \"%s\": refused (%s): %s", user.c_str(), reason,
                  result.detail.c_str());
    if (result.outcome == otp::ValidationOutcome::store_error) {
        emit_failure(flow, user, reason, -1, result.pipe);
        otp_emit_request_event(r, otp::event::kStoreError, user, {{"reason", result.detail}},
                               result.pipe);
        return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
    }
    otp::FailureOutcome failure = flow.limits.record_failure(attempt, user, admission, now);
    emit_failure(flow, user, reason, failure.attempts_left, result.pipe);
    if (failure.attempt_aborted)
        otp_emit_request_event(r, otp::event::kAttemptAborted, user,
                               {{"reason", "retries_exhausted"}});
    if (failure.user_locked) {
        flow.state.verified.revoke_all();  // the user's sessions end now, in every process
        otp_emit_request_event(r, otp::event::kUserLocked, user,
                               {{"ban_seconds", static_cast<long long>(failure.ban_seconds)}});
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "user \"%s\": locked out for %lld s",
                      user.c_str(), static_cast<long long>(failure.ban_seconds));
    }
    // Wrong code, replay and unknown user look the same to the client.
    return refuse(HTTP_UNAUTHORIZED, "invalid_otp", failure.attempts_left);
}

}  // namespace

int serve_start(Flow& flow) {
    request_rec* r = flow.r;
    if (r->method_number != M_POST) {
        apr_table_setn(r->err_headers_out, "Allow", "POST");
        return send_json_error(r, HTTP_METHOD_NOT_ALLOWED, otp::kErrorMethodNotAllowed);
    }
    const char* content_type = apr_table_get(r->headers_in, "Content-Type");
    auto kind = otp::classify_start_content_type(content_type ? content_type : "");
    if (auto* error = std::get_if<otp::RequestError>(&kind))
        return send_json_error(r, error->http_status, error->error);
    const bool form = std::get<otp::StartBodyKind>(kind) == otp::StartBodyKind::form;
    if (!origin_allowed(r)) return send_json_error(r, HTTP_FORBIDDEN, otp::kErrorBadOrigin);

    std::string body;
    int read = read_body(r, otp::kMaxStartBodyBytes, &body);
    if (read == HTTP_REQUEST_ENTITY_TOO_LARGE)
        return send_json_error(r, read, otp::kErrorBodyTooLarge);
    if (read != OK) return send_json_error(r, read, otp::kErrorMalformedJson);

    // The attempt this request belongs to.
    bool store_error = false;
    std::optional<otp::LoginAttempt> attempt;
    if (auto id = read_cookie(r, flow.scope.attempt_cookie_name.c_str()))
        attempt = flow.limits.find_attempt(*id, &store_error);
    if (store_error) return send_json_error(r, HTTP_SERVICE_UNAVAILABLE, "store_error");
    const std::string first_factor_user = r->user ? r->user : "";
    if (attempt && flow.mode == Mode::second_factor && attempt->bound_user != first_factor_user)
        attempt.reset();  // another first-factor user: not this attempt

    auto parsed = otp::parse_start_body(content_type, body);
    if (auto* error = std::get_if<otp::RequestError>(&parsed)) {
        // Form posts from the page see their error on the page; a request that fails the
        // CSRF check did not come from our page and gets JSON.
        const bool csrf_failure = error->error == otp::kErrorMissingCsrf;
        if (form && attempt && !csrf_failure) {
            StartAnswer answer = refuse(error->http_status, error->error);
            return answer_start(flow, true, &*attempt, answer, "");
        }
        return send_json_error(r, error->http_status, error->error);
    }
    otp::StartRequest& request = std::get<otp::StartRequest>(parsed);

    // Form posts come from our page and must carry its token; JSON needs no token (a
    // cross-site page cannot send application/json without CORS, and Origin is checked).
    if (form) {
        if (request.csrf.empty() || !attempt)
            return send_json_error(
                r, HTTP_FORBIDDEN,
                request.csrf.empty() ? otp::kErrorMissingCsrf : otp::kErrorInvalidCsrf);
        if (!otp::check_csrf_token(flow.csrf_key(), attempt->id, request.csrf))
            return send_json_error(r, HTTP_FORBIDDEN, otp::kErrorInvalidCsrf);
    }
    if (!attempt) {
        // A start request without an attempt cookie starts one (scripts, expired pages).
        attempt = flow.limits.create_attempt(first_factor_user, "");
        if (!attempt) return send_json_error(r, HTTP_SERVICE_UNAVAILABLE, "store_error");
        write_cookie(r, flow.scope.attempt_cookie_name.c_str(), attempt->id, flow.scope.path);
        otp_emit_request_event(r, otp::event::kAttemptStarted, first_factor_user, {});
    }

    std::string redirect =
        attempt->return_path.empty() ? default_return(flow.scope) : attempt->return_path;
    if (request.has_return) {
        if (!otp::is_safe_return_path(request.return_to, flow.scope.path))
            return answer_start(flow, form, &*attempt,
                                refuse(HTTP_BAD_REQUEST, otp::kErrorInvalidReturn), request.user);
        redirect = request.return_to;
    }
    if (request.type == otp::StartRequest::Type::send)
        return answer_start(flow, form, &*attempt, refuse(HTTP_BAD_REQUEST, "send_not_available"),
                            request.user);

    std::string user;
    if (flow.mode == Mode::second_factor) {
        user = first_factor_user;
    } else {
        if (!request.has_user || request.user.empty())
            return answer_start(flow, form, &*attempt,
                                refuse(HTTP_BAD_REQUEST, otp::kErrorMissingUser), "");
        user = request.user;
    }
    StartAnswer answer = validate_in_attempt(flow, *attempt, user, request, redirect);
    return answer_start(flow, form, &*attempt, answer, user);
}
