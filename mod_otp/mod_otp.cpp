// mod_otp: one-time passwords in front of any location. This file holds only the module
// structure and the hook registration; each hook lives with the entry point it serves
// (lifecycle/, basic/, login/, config/), and the logic lives in lib/.
#include "mod_otp/api/api_config_check.h"
#include "mod_otp/api/api_handler.h"
#include "mod_otp/basic/authn_provider.h"
#include "mod_otp/config/dir_config.h"
#include "mod_otp/config/directives.h"
#include "mod_otp/config/server_config.h"
#include "mod_otp/http/apache_headers.h"
#include "mod_otp/lifecycle/lifecycle_hooks.h"
#include "mod_otp/login/login_flow.h"
#include "mod_otp/pipes/server_pipes.h"
#include "mod_otp/store/redis_store_setup.h"
#include "mod_otp/twoway/twoway_handler.h"

namespace {

void otp_register_hooks(apr_pool_t* p) {
    ap_hook_pre_config(otp_lifecycle_pre_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_post_config(otp_lifecycle_post_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_child_init(otp_lifecycle_child_init, nullptr, nullptr, APR_HOOK_MIDDLE);
    // Runs for `apachectl configtest` too: pipe names and combinations fail it with file:line.
    ap_hook_check_config(otp_pipes_check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(otp_api_check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_hook_check_config(otp_redis_check_config, nullptr, nullptr, APR_HOOK_MIDDLE);
    ap_register_auth_provider(p, AUTHN_PROVIDER_GROUP, "otp", AUTHN_PROVIDER_VERSION,
                              &otp_authn_provider, AP_AUTH_INTERNAL_PER_CONF);
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "otp", AUTHZ_PROVIDER_VERSION,
                              &otp_authz_provider, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authn(otp_login_check_authn, nullptr, nullptr, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    // Before mod_auth_basic (APR_HOOK_MIDDLE), which would log a colon-less credential.
    ap_hook_check_authn(otp_basic_check_authn, nullptr, nullptr, APR_HOOK_FIRST,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(otp_login_note_auth_failure, nullptr, nullptr, APR_HOOK_MIDDLE);
    // First of all handlers: a request Require otp marked gets the login flow, never the
    // content, whatever handler another module chose.
    ap_hook_handler(otp_login_handler, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
    // SetHandler otp-verify.
    ap_hook_handler(otp_api_handler, nullptr, nullptr, APR_HOOK_MIDDLE);
    // SetHandler otp-twoway and otp-twoway-portal.
    ap_hook_handler(otp_twoway_handler, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace

extern "C" {
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA otp_module = {
    STANDARD20_MODULE_STUFF, otp_create_dir_config, otp_merge_dir_config, otp_create_server_config,
    otp_merge_server_config, otp_directives,        otp_register_hooks,   AP_MODULE_FLAG_NONE,
};
}
