#include "mod_otp/basic/authn_provider.h"

#include <charconv>
#include <exception>

#include "mod_otp/http/clock.h"
#include "verify/code_validator.h"
#include "mod_otp/config/dir_config.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/basic/linger.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/store/socache_state_store.h"
#include "mod_otp/users/users_lookup.h"

APLOG_USE_MODULE(otp);

namespace {

enum class LingerCheck { lingering, absent, error };

LingerCheck check_linger(OtpModuleState& state, otp::StateStore& store, const std::string& key) {
    const std::int64_t now = unix_now();
    if (state.verified.verified(key, now)) return LingerCheck::lingering;
    const std::uint64_t generation = state.verified.generation();
    std::string expiry;
    otp::StoreStatus status = store.get(key, &expiry);
    if (status == otp::StoreStatus::error) return LingerCheck::error;
    if (status != otp::StoreStatus::ok) return LingerCheck::absent;
    std::int64_t until = 0;
    auto [end, ec] = std::from_chars(expiry.data(), expiry.data() + expiry.size(), until);
    if (ec == std::errc() && end == expiry.data() + expiry.size())
        state.verified.remember(key, generation, until);
    return LingerCheck::lingering;
}

authn_status check_password(request_rec* r, const char* user, const char* password) {
    auto* conf = static_cast<otp_dir_config*>(ap_get_module_config(r->per_dir_config, &otp_module));
    if (!conf->users_file) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "AuthBasicProvider otp needs OTPUsersFile for %s", r->uri);
        return AUTH_GENERAL_ERROR;
    }
    OtpModuleState& state = otp_state();
    auto index = otp_users_index(r, conf);
    if (!index) return AUTH_GENERAL_ERROR;

    SocacheStateStore store(state, r->server, r->pool);
    const int linger = otp_basic_linger(conf);
    std::string linger_key;
    if (linger > 0) {
        linger_key = linger_record_key(state.linger_secret, conf->users_file, user, password,
                                       r->useragent_ip);
        switch (check_linger(state, store, linger_key)) {
            case LingerCheck::error:
                return AUTH_GENERAL_ERROR;
            case LingerCheck::absent:
                break;
            case LingerCheck::lingering:
                // A user removed from the users file loses lingering logins at once.
                if (index->tokens_for(user).empty()) break;
                ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r,
                              "user \"%s\": accepted by OTPBasicLinger", user);
                return AUTH_GRANTED;
        }
    }

    const std::string users_path(conf->users_file);
    otp::ValidationResult result =
        otp::validate_code(otp::UsersSource{*index, users_path}, store, otp_policy(conf), user,
                           password, otp::PinUse::in_password, unix_now());
    if (result.outcome == otp::ValidationOutcome::accepted) {
        otp_emit_request_event(r, otp::event::kValidated, user, {}, result.pipe);
    } else {
        otp_emit_request_event(r, otp::event::kValidationFailed, user,
                               {{"reason", otp::outcome_reason(result.outcome)}}, result.pipe);
        if (result.outcome == otp::ValidationOutcome::store_error)
            otp_emit_request_event(r, otp::event::kStoreError, user, {{"reason", result.detail}},
                                   result.pipe);
    }
    switch (result.outcome) {
        case otp::ValidationOutcome::accepted:
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, "user \"%s\": %s code accepted", user,
                          result.pipe);
            // The record's value is its expiry, so processes can remember it until then.
            if (linger > 0 && store.add(linger_key, std::to_string(unix_now() + linger), linger) ==
                                  otp::StoreStatus::error)
                ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r,
                              "user \"%s\": could not record OTPBasicLinger; the next request "
                              "needs a new code",
                              user);
            return AUTH_GRANTED;
        case otp::ValidationOutcome::unknown_user:
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "user \"%s\": refused (%s): %s", user,
                          otp::outcome_reason(result.outcome), result.detail.c_str());
            return AUTH_USER_NOT_FOUND;
        case otp::ValidationOutcome::store_error:
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "user \"%s\": refused (%s): %s", user,
                          otp::outcome_reason(result.outcome), result.detail.c_str());
            return AUTH_GENERAL_ERROR;
        default:
            ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, "user \"%s\": refused (%s): %s", user,
                          otp::outcome_reason(result.outcome), result.detail.c_str());
            return AUTH_DENIED;
    }
}

// httpd is C: nothing may be thrown through it.
authn_status guarded_check_password(request_rec* r, const char* user, const char* password) {
    try {
        return check_password(r, user, password);
    } catch (const std::exception& e) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "otp provider: internal error: %s", e.what());
    } catch (...) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "otp provider: internal error");
    }
    return AUTH_GENERAL_ERROR;
}

}  // namespace

const authn_provider otp_authn_provider = {&guarded_check_password, nullptr};
