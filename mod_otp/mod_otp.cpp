// mod_otp: one-time passwords in front of any location. This file wires the module into
// httpd: configuration, lifecycle hooks and providers. The logic lives in lib/.
#include <exception>

#include "mod_otp/http/apache_headers.h"
#include "mod_otp/basic/authn_provider.h"
#include "crypto/digest.h"
#include "mod_otp/config/dir_config.h"
#include "mod_otp/events/event_log.h"
#include "mod_otp/login/login_flow.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/store/socache_state_store.h"

APLOG_USE_MODULE(otp);

namespace {

int otp_pre_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t*) {
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

int otp_post_config(apr_pool_t* pconf, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
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
        if (!secret) {
            ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_otp: no randomness available");
            return 500;
        }
        state.linger_secret = std::move(*secret);
        if (state.verified.create(pconf) != APR_SUCCESS)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s,
                         "mod_otp: no shared memory for the session cache; every session "
                         "check asks the state store");
        auto session_key = otp::random_bytes(32);
        if (!session_key) return 500;
        state.random_session_key = std::move(*session_key);
        for (server_rec* vhost = s; vhost; vhost = vhost->next)
            if (!otp_server_conf(vhost)->session_key) {
                ap_log_error(APLOG_MARK, APLOG_WARNING, 0, vhost,
                             "mod_otp: no OTPSessionKeyFile for %s; login sessions use a "
                             "random key and end when httpd restarts",
                             vhost->server_hostname ? vhost->server_hostname : "the server");
                break;
            }
        return OK;
    } catch (const std::exception& e) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_otp: post_config: %s", e.what());
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_otp: post_config: internal error");
    }
    return 500;
}

void otp_child_init(apr_pool_t* pchild, server_rec* s) {
    try {
        otp_store_child_init(otp_state(), pchild, s);
        otp_event_log_child_init(pchild, s);
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "mod_otp: child_init failed");
    }
}

void otp_register_hooks(apr_pool_t* p) {
    ap_hook_pre_config(otp_pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(otp_post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_child_init(otp_child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "otp", AUTHN_PROVIDER_VERSION,
                              &otp_authn_provider, AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "otp", AUTHZ_PROVIDER_VERSION,
                              &otp_authz_provider, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authn(otp_login_check_authn, nullptr, nullptr, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(otp_login_note_auth_failure, nullptr, nullptr, APR_HOOK_MIDDLE);
    // First of all handlers: a request Require otp marked gets the login flow, never the
    // content, whatever handler another module chose.
    ap_hook_handler(otp_login_handler, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
}

}  // namespace

extern "C" {
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA otp_module = {
    STANDARD20_MODULE_STUFF, otp_create_dir_config, otp_merge_dir_config, otp_create_server_config,
    otp_merge_server_config, otp_directives,        otp_register_hooks,   AP_MODULE_FLAG_NONE,
};
}
