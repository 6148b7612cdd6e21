#include "mod_otp/login/start_endpoint.h"

#include "login/csrf_token.h"
#include "login/start_request.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/events/verification_events.h"
#include "mod_otp/http/http_util.h"
#include "mod_otp/login/code_delivery.h"
#include "mod_otp/login/login_page_response.h"
#include "mod_otp/users/users_lookup.h"
#include "verify/verifier.h"
#include "web/login_page.h"

APLOG_USE_MODULE(otp);

namespace {

struct StartAnswer {
    int status = HTTP_OK;
    std::string error;  // empty on success
    int attempts_left = -1;
    std::int64_t retry_after = 0;
    std::string redirect;
    bool sent = false;  // {"type":"send"} succeeded: {"status":"SENT"}
    const char* page_error_key = nullptr;  // the page's message when not the error's own
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

int answer_start(LoginRequest& login, bool form, const otp::LoginAttempt* attempt,
                 const StartAnswer& answer, const std::string& user) {
    request_rec* r = login.r;
    if (answer.retry_after > 0)
        apr_table_setn(r->err_headers_out, "Retry-After",
                       apr_psprintf(r->pool, "%" APR_INT64_T_FMT,
                                    static_cast<apr_int64_t>(answer.retry_after)));
    if (answer.sent) {
        if (!form) {
            otp::JsonObject body;
            body.set("status", "SENT");
            body.set("retry_after", answer.retry_after);
            apr_table_unset(r->err_headers_out, "Retry-After");
            return send_json(r, HTTP_OK, body);
        }
        PageOptions options;
        options.status = HTTP_OK;
        options.notice_key = "otp_validation.code_sent";
        options.user = user;
        options.code_sent = true;
        return serve_page(login, *attempt, Endpoint::start, options);
    }
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
        if (answer.error == "resend_too_soon" || answer.error == "send_limit_reached")
            body.set("retry_after", answer.retry_after);
        return send_json(r, answer.status, body);
    }
    PageOptions options;
    options.status = answer.status;
    options.error_key =
        answer.page_error_key ? answer.page_error_key : otp::error_translation_key(answer.error);
    options.attempts_left = answer.attempts_left;
    // A refused resend leaves the attempt open; every other 429 ends it.
    options.disabled = answer.status == HTTP_TOO_MANY_REQUESTS &&
                       answer.error != "resend_too_soon" && answer.error != "send_limit_reached";
    options.user = user;
    options.code_sent = !attempt->bound_user.empty() || login.mode == Mode::second_factor;
    options.retry_after = answer.retry_after;
    return serve_page(login, *attempt, Endpoint::start, options);
}

// Checks the code for `user` within `attempt` through the verifier; the heart of the login.
StartAnswer validate_in_attempt(LoginRequest& login, const otp::LoginAttempt& attempt,
                                const std::string& user, const otp::StartRequest& request,
                                const std::string& redirect) {
    request_rec* r = login.r;
    auto index = otp_users_index(r, login.conf);
    if (!index) {
        emit_failure(login, user, "store_error", -1, nullptr);
        return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
    }
    const std::string users_path(login.conf->users_file ? login.conf->users_file : "");
    const PipeCallContext call = login_call_context(login);
    const otp::PipeContext context = otp_pipe_context(call, otp_code_key(r->server));
    otp::Guess guess;
    guess.context = &context;
    guess.user = user;
    guess.password = request.otp;
    guess.attempt = &attempt;
    guess.client_address = r->useragent_ip ? r->useragent_ip : "";
    // OTPAddressLockout: one client spraying codes over many user names (and filling the
    // state store with their counters) is stopped by its address.
    guess.address = guess.client_address;
    guess.now = unix_now();
    const otp::Verification result = login.verifier.verify(
        otp::UsersSource{*index, users_path}, *login.pipe, otp_policy(login.conf), guess);
    otp_report_verification(r, call.origin, user, result);

    switch (result.verdict) {
        case otp::Verdict::accepted:
            break;
        case otp::Verdict::locked:
        case otp::Verdict::address_locked:
            return refuse(HTTP_TOO_MANY_REQUESTS, "locked", -1, result.retry_after);
        case otp::Verdict::retries_exhausted:
            return refuse(HTTP_TOO_MANY_REQUESTS, "retries_exhausted");
        case otp::Verdict::store_error:
            return refuse(HTTP_SERVICE_UNAVAILABLE, "store_error");
        case otp::Verdict::store_full:
            return refuse(HTTP_SERVICE_UNAVAILABLE, "store_full");
        case otp::Verdict::pipe_error:
            return refuse(HTTP_SERVICE_UNAVAILABLE, "pipe_error");
        case otp::Verdict::pipe_busy:
            return refuse(HTTP_SERVICE_UNAVAILABLE, "pipe_busy");
        case otp::Verdict::expired:
            // Only a code that matched is told "expired": it reveals nothing to a guesser.
            return refuse(HTTP_UNAUTHORIZED, "expired", result.attempts_left);
        default:
            // Wrong code, replay and unknown user look the same to the client.
            return refuse(HTTP_UNAUTHORIZED, "invalid_otp", result.attempts_left);
    }

    otp::SessionClaims session;
    if (!start_session(r, login.conf, login.realm, login.store, user, &session)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "user \"%s\": code accepted but no session could be started", user.c_str());
        const char* reason = otp::verdict_reason(otp::store_failure_verdict(login.store));
        otp_emit_request_event(r, otp::event::kStoreError, user,
                               {{"reason", "cannot start a session"}, {"error", reason}});
        return refuse(HTTP_SERVICE_UNAVAILABLE, reason);
    }
    clear_attempt_cookie(login);
    otp_emit_request_event(r, otp::event::kSessionStarted, user, {}, result.pipe);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user \"%s\": session started", user.c_str());
    return completed(redirect);
}

// {"type":"send"} / the page's "send a new code": a new delivered code for the attempt's user.
// With AuthType OTP the user name comes with the request and the attempt is bound to it, so the
// page shows the code field for that user.
int answer_send(LoginRequest& login, bool form, otp::LoginAttempt& attempt,
                const otp::StartRequest& request) {
    if (!login.delivers_codes())
        return answer_start(login, form, &attempt, refuse(HTTP_BAD_REQUEST, "send_not_available"),
                            request.user);
    std::string user;
    if (login.mode == Mode::second_factor) {
        user = attempt.bound_user;
    } else {
        if (!request.has_user || request.user.empty())
            return answer_start(login, form, &attempt,
                                refuse(HTTP_BAD_REQUEST, otp::kErrorMissingUser), "");
        user = request.user;
        if (attempt.bound_user != user) {
            attempt.bound_user = user;
            if (!write_attempt_cookie(login, attempt))
                return answer_start(login, form, &attempt,
                                    refuse(HTTP_SERVICE_UNAVAILABLE, "store_error"), user);
        }
    }
    const SendResult sent = send_login_code(login, attempt, user);
    if (sent.answer != SendAnswer::sent) {
        StartAnswer refused = refuse(send_http_status(sent.answer), send_error(sent.answer), -1,
                                     sent.retry_after);
        refused.page_error_key = send_page_error_key(sent.answer);
        return answer_start(login, form, &attempt, refused, user);
    }
    StartAnswer answer;
    answer.sent = true;
    answer.retry_after = sent.retry_after;
    return answer_start(login, form, &attempt, answer, user);
}

}  // namespace

int serve_start(LoginRequest& login) {
    request_rec* r = login.r;
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
    std::optional<otp::LoginAttempt> attempt = read_attempt_cookie(login);
    const std::string first_factor_user = r->user ? r->user : "";
    if (attempt && login.mode == Mode::second_factor && attempt->bound_user != first_factor_user)
        attempt.reset();  // another first-factor user: not this attempt

    auto parsed = otp::parse_start_body(content_type, body);
    if (auto* error = std::get_if<otp::RequestError>(&parsed)) {
        // Form posts from the page see their error on the page; a request that fails the
        // CSRF check did not come from our page and gets JSON.
        const bool csrf_failure = error->error == otp::kErrorMissingCsrf;
        if (form && attempt && !csrf_failure) {
            StartAnswer answer = refuse(error->http_status, error->error);
            return answer_start(login, true, &*attempt, answer, "");
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
        if (!otp::check_csrf_token(login.csrf_key(), attempt->id, request.csrf))
            return send_json_error(r, HTTP_FORBIDDEN, otp::kErrorInvalidCsrf);
    }
    if (!attempt) {
        // A start request without an attempt cookie starts one (scripts, expired pages).
        attempt = login.limits.create_attempt(first_factor_user, "", unix_now());
        if (!attempt || !write_attempt_cookie(login, *attempt))
            return send_json_error(r, HTTP_SERVICE_UNAVAILABLE, "store_error");
        otp_emit_request_event(r, otp::event::kAttemptStarted, first_factor_user, {});
    }

    std::string redirect =
        attempt->return_path.empty() ? default_return(login.realm) : attempt->return_path;
    if (request.has_return) {
        if (!otp::is_safe_return_path(request.return_to, login.realm.path))
            return answer_start(login, form, &*attempt,
                                refuse(HTTP_BAD_REQUEST, otp::kErrorInvalidReturn), request.user);
        redirect = request.return_to;
    }
    if (request.type == otp::StartRequest::Type::send)
        return answer_send(login, form, *attempt, request);

    std::string user;
    if (login.mode == Mode::second_factor) {
        user = first_factor_user;
    } else {
        if (request.has_user && !request.user.empty())
            user = request.user;
        else if (login.delivers_codes() && !attempt->bound_user.empty())
            user = attempt->bound_user;  // the code was sent to the attempt's user
        else
            return answer_start(login, form, &*attempt,
                                refuse(HTTP_BAD_REQUEST, otp::kErrorMissingUser), "");
    }
    StartAnswer answer = validate_in_attempt(login, *attempt, user, request, redirect);
    return answer_start(login, form, &*attempt, answer, user);
}
