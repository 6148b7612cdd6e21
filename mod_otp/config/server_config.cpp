#include "mod_otp/config/server_config.h"

void* otp_create_server_config(apr_pool_t* pool, server_rec*) {
    return apr_pcalloc(pool, sizeof(otp_server_config));
}

void* otp_merge_server_config(apr_pool_t* pool, void* base_raw, void* add_raw) {
    auto* base = static_cast<otp_server_config*>(base_raw);
    auto* add = static_cast<otp_server_config*>(add_raw);
    auto* conf = static_cast<otp_server_config*>(apr_pcalloc(pool, sizeof(otp_server_config)));
    conf->event_log = add->event_log ? add->event_log : base->event_log;
    conf->session_key = add->session_key ? add->session_key : base->session_key;
    return conf;
}

const char* otp_set_event_log(cmd_parms* cmd, void*, const char* target) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) return err;
    auto* conf = otp_server_conf(cmd->server);
    if (*target == '|') {
        if (!target[1]) return "OTPEventLog: a piped log needs a program after '|'";
        conf->event_log = target;
    } else {
        conf->event_log = ap_server_root_relative(cmd->pool, target);
        if (!conf->event_log)
            return apr_psprintf(cmd->pool, "OTPEventLog: invalid path '%s'", target);
    }
    return nullptr;
}
