#include "mod_otp/events/verification_events.h"

#include <string>

#include "mod_otp/events/event_log.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/pipes/program_events.h"

APLOG_USE_MODULE(otp);

void otp_report_verification(request_rec* r, const EventOrigin& origin, std::string_view user,
                             const otp::Verification& v) {
    const std::string name(user);
    const char* pipe = v.compared ? v.pipe : nullptr;
    if (v.program) otp_report_program(origin, user, *v.program);
    if (v.user_unlocked) otp_emit_event(origin, otp::event::kUserUnlocked, user, {});
    if (v.verdict == otp::Verdict::accepted) {
        otp_emit_event(origin, otp::event::kValidated, user, {}, pipe);
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user \"%s\": %s code accepted", name.c_str(),
                      v.pipe);
        if (v.state_not_recorded) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "user \"%s\": %s", name.c_str(),
                          v.detail.c_str());
            otp_emit_event(origin, otp::event::kStoreError, user, {{"reason", v.detail}}, pipe);
        }
        return;
    }
    const char* reason = otp::verdict_reason(v.verdict);
    if (v.attempts_left >= 0)
        otp_emit_event(origin, otp::event::kValidationFailed, user,
                               {{"reason", reason}, {"attempts_left", v.attempts_left}}, pipe);
    else
        otp_emit_event(origin, otp::event::kValidationFailed, user, {{"reason", reason}}, pipe);
    const bool store_error =
        v.verdict == otp::Verdict::store_error || v.verdict == otp::Verdict::store_full;
    const bool dependency_failed = store_error || v.verdict == otp::Verdict::pipe_error;
    if (store_error || v.state_not_recorded)
        otp_emit_event(origin, otp::event::kStoreError, user, {{"reason", v.detail}}, pipe);
    if (v.verdict == otp::Verdict::address_locked)
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "refused: client address %s is locked out (OTPAddressLockout)",
                      r->useragent_ip);
    else
        ap_log_rerror(APLOG_MARK, dependency_failed ? APLOG_ERR : APLOG_WARNING, 0, r,
                      "user \"%s\": refused (%s)%s%s", name.c_str(), reason,
                      v.detail.empty() ? "" : ": ", v.detail.c_str());
    if (v.attempt_aborted)
        otp_emit_event(origin, otp::event::kAttemptAborted, user,
                               {{"reason", "retries_exhausted"}});
    if (v.user_locked) {
        otp_state().verified.revoke_all();  // the user's sessions end now, in every process
        otp_emit_event(origin, otp::event::kUserLocked, user,
                               {{"ban_seconds", static_cast<long long>(v.ban_seconds)}});
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "user \"%s\": locked out for %" APR_INT64_T_FMT " s",
                      name.c_str(), static_cast<apr_int64_t>(v.ban_seconds));
    }
    if (v.address_locked_now) {
        otp_emit_event(origin, otp::event::kAddressLocked, user, {});
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                      "client address %s locked out (OTPAddressLockout)", r->useragent_ip);
    }
}
