// Per-server (virtual host) configuration: OTPEventLog. A virtual host without its own
// OTPEventLog writes to the main server's.
#pragma once

#include "mod_otp/http/apache_headers.h"

struct otp_server_config {
    const char* event_log;    // OTPEventLog target: an absolute path or "|program args"
    const char* session_key;  // OTPSessionKeyFile's 32 bytes; else the start's random key
};

void* otp_create_server_config(apr_pool_t* pool, server_rec* server);
void* otp_merge_server_config(apr_pool_t* pool, void* base, void* add);

const char* otp_set_event_log(cmd_parms* cmd, void* dir_config, const char* target);

inline otp_server_config* otp_server_conf(server_rec* s) {
    return static_cast<otp_server_config*>(ap_get_module_config(s->module_config, &otp_module));
}
