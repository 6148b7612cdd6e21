#include "mod_otp/config/server_config.h"

#include "crypto/digest.h"
#include "mod_otp/lifecycle/module_state.h"
#include "session/session_cookie.h"
#include "util/secure_wipe.h"

void* otp_create_server_config(apr_pool_t* pool, server_rec*) {
    return apr_pcalloc(pool, sizeof(otp_server_config));
}

void* otp_merge_server_config(apr_pool_t* pool, void* base_raw, void* add_raw) {
    auto* base = static_cast<otp_server_config*>(base_raw);
    auto* add = static_cast<otp_server_config*>(add_raw);
    auto* conf = static_cast<otp_server_config*>(apr_pcalloc(pool, sizeof(otp_server_config)));
    conf->event_log = add->event_log ? add->event_log : base->event_log;
    conf->session_key = add->session_key ? add->session_key : base->session_key;
    // A virtual host with OTPPipe definitions of its own still finds the main server's
    // (otp_find_pipe looks there second).
    conf->pipes = add->pipes ? add->pipes : base->pipes;
    return conf;
}

std::string otp_session_key(server_rec* s) {
    const char* key = otp_server_conf(s)->session_key;
    // post_config gives every server without OTPSessionKeyFile a random key, so this is empty
    // only before then; an empty key seals and opens nothing (fail closed).
    return key ? std::string(key, otp::kSessionKeyBytes) : std::string();
}

const otp::HmacSha256Key* otp_code_key(server_rec* s) {
    const auto& keys = otp_state().code_keys;
    auto found = keys.find(s);
    return found == keys.end() ? nullptr : found->second.get();
}

bool otp_derive_code_keys(server_rec* main_server) {
    auto& keys = otp_state().code_keys;
    keys.clear();
    for (server_rec* s = main_server; s; s = s->next) {
        const std::string session_key = otp_session_key(s);
        if (session_key.empty()) return false;
        std::string derived = otp::hmac_sha256(session_key, "mod_otp delivered codes");
        auto key = std::make_unique<otp::HmacSha256Key>(derived);
        otp::secure_wipe(derived);
        if (!key->ok()) return false;
        keys[s] = std::move(key);
    }
    return true;
}
