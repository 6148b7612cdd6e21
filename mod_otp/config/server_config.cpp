#include "mod_otp/config/server_config.h"

#include "session/session_cookie.h"

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

std::string otp_session_key(server_rec* s) {
    const char* key = otp_server_conf(s)->session_key;
    // post_config gives every server without OTPSessionKeyFile a random key, so this is empty
    // only before then; an empty key seals and opens nothing (fail closed).
    return key ? std::string(key, otp::kSessionKeyBytes) : std::string();
}
