// Lifecycle hooks of one server generation: pre_config creates the process-wide state,
// post_config opens the shared state store and event logs and makes the per-start secrets,
// child_init attaches each child to the shared mutexes.
#include "mod_otp/lifecycle/lifecycle_hooks.h"

#include <algorithm>
#include <chrono>
#include <exception>

#include "crypto/digest.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/store/socache_state_store.h"
#include "session/session_cookie.h"
#include "util/secure_wipe.h"

APLOG_USE_MODULE(otp);

int otp_lifecycle_pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*) {
    try {
        otp_state_create(pconf);
        if (otp_store_pre_config(pconf) != APR_SUCCESS ||
            otp_event_log_pre_config(pconf) != APR_SUCCESS)
            return 500;
        return OK;
    } catch (const std::exception& e) {
        ap_log_perror(APLOG_MARK, APLOG_CRIT, 0, pconf, "mod_otp: pre_config: %s", e.what());
    } catch (...) {
    }
    return 500;
}

int otp_lifecycle_post_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
    // The first of the two startup passes only checks the configuration: creating shared
    // memory there would be thrown away.
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return OK;
    try {
        OtpModuleState& state = otp_state();
        if (const char* err = otp_store_post_config(state, pconf, ptemp, s)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "%s", err);
            return 500;
        }
        if (const char* err = otp_event_log_post_config(pconf, ptemp, s)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "%s", err);
            return 500;
        }
        auto secret = otp::random_bytes(32);
        if (secret) state.linger_key = std::make_unique<otp::HmacSha256Key>(*secret);
        if (secret) otp::secure_wipe(secret->data(), secret->size());
        if (!state.linger_key || !state.linger_key->ok()) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s,
                         "mod_otp: no randomness or HMAC-SHA-256 available");
            return 500;
        }
        if (state.verified.create(pconf) != APR_SUCCESS)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "mod_otp: no shared memory for the session cache; every session "
                         "check asks the state store");
        // Each virtual host without OTPSessionKeyFile gets a random key of its own, so no
        // cookie one host sealed opens on another (the realm in the seal says so too).
        bool warned = false;
        for (server_rec* vhost = s; vhost; vhost = vhost->next) {
            otp_server_config* conf = otp_server_conf(vhost);
            if (conf->session_key) continue;
            if (vhost != s && conf == otp_server_conf(s)) {  // shares the main server's struct
                auto* own = static_cast<otp_server_config*>(apr_pmemdup(pconf, conf, sizeof *conf));
                ap_set_module_config(vhost->module_config, &otp_module, own);
                conf = own;
            }
            auto key = otp::random_bytes(otp::kSessionKeyBytes);
            if (!key) return 500;
            conf->session_key =
                static_cast<const char*>(apr_pmemdup(pconf, key->data(), key->size()));
            otp::secure_wipe(*key);
            if (!warned)
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vhost,
                             "mod_otp: no OTPSessionKeyFile for %s; login sessions use a "
                             "random key and end when httpd restarts",
                             vhost->server_hostname ? vhost->server_hostname : "the server");
            warned = true;
        }
        if (!otp_derive_code_keys(s)) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_otp: cannot derive the code keys");
            return 500;
        }
        return OK;
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_otp: post_config: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_otp: post_config: internal error");
    }
    return 500;
}

namespace {

apr_status_t drain_senders(void*) {
    try {
        OtpModuleState& state = otp_state();
        std::int64_t longest = kDefaultPipeTimeoutSeconds * 1000LL;
        for (const auto& pipes : state.server_pipes)
            for (const auto& named : pipes->by_name)
                longest = std::max(longest, named.second->timeout_ms());
        state.sender.drain(std::chrono::milliseconds(longest + 1000));
    } catch (...) {
    }
    return APR_SUCCESS;
}

}  // namespace

void otp_lifecycle_child_init(apr_pool_t* pchild, server_rec* s) {
    try {
        otp_store_child_init(otp_state(), pchild, s);
        otp_event_log_child_init(pchild, s);
        // A send in flight when the child exits is finished (up to the longest OTPPipeTimeout)
        // rather than cut off.
        apr_pool_cleanup_register(pchild, nullptr, drain_senders, apr_pool_cleanup_null);
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_otp: child_init failed");
    }
}
