#include "mod_otp/login/code_delivery.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <utility>

#include "mod_otp/events/event_log.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/http/http_util.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/pipes/program_events.h"
#include "mod_otp/users/users_lookup.h"
#include "util/secure_wipe.h"
#include "verify/delivered_code.h"
#include "verify/verifier.h"
#include "web/login_page.h"

APLOG_USE_MODULE(otp);

namespace {

// How long after its lifetime a code is still recognised (and answered "expired").
constexpr std::int64_t kExpiredNoticeSeconds = 900;

// How long this process's recent sends took (a moving average, ms). An unknown user's job
// holds its OTPPipeMaxConcurrent slot that long, so how busy the pipe is (pipe_busy) does not
// tell known users from unknown ones.
std::atomic<std::int64_t> g_send_millis{50};

void remember_send_time(std::int64_t millis) {
    const std::int64_t before = g_send_millis.load(std::memory_order_relaxed);
    g_send_millis.store((7 * before + millis) / 8, std::memory_order_relaxed);
}

SendResult answer(SendAnswer what, std::int64_t retry_after = 0) {
    return SendResult(what, retry_after);
}

SendAnswer store_failure(const otp::StateStore& store) {
    return otp::store_failure_verdict(store) == otp::Verdict::store_full ? SendAnswer::store_full
                                                                         : SendAnswer::store_error;
}

// The background half of a send: runs the pre-pipe and reports how it went. Holds the
// OTPPipeMaxConcurrent slot taken by the request until the program is reaped.
struct SendJob {
    const otp::ExecPipe* pipe;
    otp::ConcurrencyLimit::Slot slot;
    PipeCallContext context;
    std::string user;
    std::string code;
    std::int64_t lifetime;

    SendJob(const otp::ExecPipe* p, otp::ConcurrencyLimit::Slot s) : pipe(p), slot(std::move(s)) {}
    SendJob(const SendJob&) = delete;
    SendJob& operator=(const SendJob&) = delete;
    ~SendJob() { otp::secure_wipe(code); }

    void run() {
        const otp::PipeContext pipe_context = otp_pipe_context(context, nullptr);
        const EventOrigin& origin = context.origin;
        otp::PipeRequest request;
        request.action = "send";
        request.user = user;
        request.otp = code;
        request.lifetime = lifetime;
        request.context = &pipe_context;
        const otp::ProgramReport report = pipe->run(request);
        remember_send_time(report.duration_ms);
        otp_report_program(origin, user, report);
        switch (otp::ExecPipe::send_outcome(report)) {
            case otp::SendOutcome::sent:
                otp_emit_event(origin, otp::event::kCodeSent, user, {{"lifetime", lifetime}},
                               pipe->name());
                break;
            case otp::SendOutcome::not_sent:
                ap_log_error(APLOG_MARK, APLOG_INFO, 0, origin.server,
                             "OTPPrePipe %s: no address for user \"%s\"; nothing sent",
                             pipe->name(), user.c_str());
                break;
            case otp::SendOutcome::failed:
                break;  // reported by otp_report_program
        }
    }
};

}  // namespace

const char* send_error(SendAnswer what) {
    switch (what) {
        case SendAnswer::sent:
            return "";
        case SendAnswer::too_soon:
            return "resend_too_soon";
        case SendAnswer::limit_reached:
            return "send_limit_reached";
        case SendAnswer::locked:
            return "locked";
        case SendAnswer::pipe_busy:
            return "pipe_busy";
        case SendAnswer::pipe_error:
            return "pipe_error";
        case SendAnswer::store_error:
            return "store_error";
        case SendAnswer::store_full:
            return "store_full";
    }
    return "pipe_error";
}

const char* send_page_error_key(SendAnswer what) {
    return what == SendAnswer::pipe_error ? "otp_validation.send_failed"
                                          : otp::error_translation_key(send_error(what));
}

int send_http_status(SendAnswer what) {
    switch (what) {
        case SendAnswer::sent:
            return HTTP_OK;
        case SendAnswer::too_soon:
        case SendAnswer::limit_reached:
        case SendAnswer::locked:
            return HTTP_TOO_MANY_REQUESTS;
        default:
            return HTTP_SERVICE_UNAVAILABLE;
    }
}

PipeCallContext login_call_context(LoginRequest& login) {
    request_rec* r = login.r;
    PipeCallContext context;
    context.origin = otp_event_origin(r);
    auto cookie_lang = read_cookie(r, otp::kLanguageCookieName);
    const char* accept = apr_table_get(r->headers_in, "Accept-Language");
    context.locale = otp::choose_language(login.translations(), cookie_lang ? *cookie_lang : "",
                                          accept ? accept : "");
    return context;
}

SendResult send_code(LoginRequest& login, const CodeIssue& issue) {
    request_rec* r = login.r;
    const std::string& user = issue.user;
    const EventOrigin& origin = issue.context.origin;
    const otp::ExecPipe* pre_pipe = issue.return_code ? nullptr : otp_pre_pipe(r->server, login.conf);
    const otp::HmacSha256Key* key = otp_code_key(r->server);
    if ((!pre_pipe && !issue.return_code) || !key) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "OTPValidationPipe delivered for %s: no OTPPrePipe to send the code with",
                      r->uri);
        return answer(SendAnswer::pipe_error);
    }
    // Busy first: a send refused for want of a slot must not use up the user's resend wait.
    std::optional<otp::ConcurrencyLimit::Slot> slot;
    if (pre_pipe) {
        slot = pre_pipe->limit().try_acquire();
        if (!slot) {
            otp_emit_event(origin, otp::event::kValidationFailed, user, {{"reason", "pipe_busy"}},
                           pre_pipe->name());
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                          "user \"%s\": no code sent (pipe_busy: OTPPipeMaxConcurrent programs "
                          "are running)",
                          user.c_str());
            return answer(SendAnswer::pipe_busy);
        }
    }
    const std::int64_t now = unix_now();
    const otp::SendAdmission admitted = login.limits.admit_send(issue.attempt, user, issue.address, now);
    switch (admitted.verdict) {
        case otp::SendAdmission::Verdict::send:
            break;
        case otp::SendAdmission::Verdict::too_soon:
            return answer(SendAnswer::too_soon, admitted.retry_after);
        case otp::SendAdmission::Verdict::limit_reached:
            return answer(SendAnswer::limit_reached, admitted.retry_after);
        case otp::SendAdmission::Verdict::locked:
            return answer(SendAnswer::locked, admitted.retry_after);
        case otp::SendAdmission::Verdict::store_error: {
            const SendAnswer failure = store_failure(login.store);
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                          "user \"%s\": no code sent (%s): the send limits are unavailable",
                          user.c_str(), send_error(failure));
            return answer(failure);
        }
    }
    const otp::OtpPolicy policy = otp_policy(login.conf);
    auto code = otp::generate_code(policy.delivered);
    if (!code) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "delivered code: no randomness");
        return answer(SendAnswer::pipe_error);
    }
    auto index = otp_users_index(r, login.conf);
    const bool known = index && index->has_user(user);
    // The record outlives the code, so a late code is told "expired" rather than "wrong".
    const std::string scope(login.conf->users_file ? login.conf->users_file : "");
    otp::DeliveredCodes codes(login.store, *key);
    if (codes.issue(scope, user, *code, policy.delivered, now,
                    policy.delivered.lifetime + kExpiredNoticeSeconds) != otp::StoreStatus::ok) {
        otp::secure_wipe(*code);
        const SendAnswer failure = store_failure(login.store);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "user \"%s\": no code sent (%s): the state "
                      "store cannot hold the delivered code", user.c_str(), send_error(failure));
        otp_emit_event(origin, otp::event::kStoreError, user,
                       {{"reason", "cannot store the delivered code"},
                        {"error", send_error(failure)}});
        return answer(failure);
    }
    if (issue.return_code) {
        // The caller delivers it: the code is "sent" when it has it.
        SendResult returned = answer(SendAnswer::sent, otp::kResendInterval);
        returned.code = std::move(*code);
        otp::secure_wipe(*code);
        if (known)
            otp_emit_event(origin, otp::event::kCodeSent, user,
                           {{"lifetime", policy.delivered.lifetime}, {"delivery", "caller"}});
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "user \"%s\": delivered code issued to the caller", user.c_str());
        return returned;
    }
    auto job = std::make_shared<SendJob>(pre_pipe, std::move(*slot));
    if (known) {
        job->context = issue.context;
        job->user = user;
        job->code = *code;
        job->lifetime = policy.delivered.lifetime;
    }
    otp::secure_wipe(*code);
    // An unknown user's job only holds its slot as long as a send takes: the request does the
    // same work either way, and what the worker does afterwards is not seen in the answer.
    const std::int64_t hold_ms = std::min(g_send_millis.load(std::memory_order_relaxed),
                                          pre_pipe->timeout_ms());
    const bool queued = otp_state().sender.submit([job, known, hold_ms] {
        if (known)
            job->run();
        else
            std::this_thread::sleep_for(std::chrono::milliseconds(hold_ms));
    });
    if (!queued) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "OTPPrePipe %s: cannot start a sender thread",
                      pre_pipe->name());
        return answer(SendAnswer::pipe_error);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user \"%s\": delivered code issued", user.c_str());
    return answer(SendAnswer::sent, otp::kResendInterval);
}

SendResult send_login_code(LoginRequest& login, const otp::LoginAttempt& attempt,
                           const std::string& user) {
    CodeIssue issue;
    issue.attempt = &attempt;
    issue.user = user;
    issue.address = login.r->useragent_ip ? login.r->useragent_ip : "";
    issue.context = login_call_context(login);
    return send_code(login, issue);
}
