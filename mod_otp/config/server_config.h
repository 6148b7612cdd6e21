// Per-server (virtual host) configuration: OTPEventLog. A virtual host without its own
// OTPEventLog writes to the main server's.
#pragma once

#include <string>

namespace otp {
class HmacSha256Key;
}

#include "mod_otp/http/apache_headers.h"

struct ServerPipes;

struct otp_server_config {
    const char* event_log;    // OTPEventLog target: an absolute path or "|program args"
    const char* session_key;  // OTPSessionKeyFile's 32 bytes; else the start's random key
    ServerPipes* pipes;       // OTPPipe definitions of this server (owned by OtpModuleState)
};

void* otp_create_server_config(apr_pool_t* pool, server_rec* server);
void* otp_merge_server_config(apr_pool_t* pool, void* base, void* add);

// The key that seals this server's session cookies and keys its CSRF tokens:
// OTPSessionKeyFile's, else the random key post_config made for this server; empty (no
// key: nothing seals or opens) only before post_config.
std::string otp_session_key(server_rec* s);

// Keys the hashes of this server's delivered codes (derived from its session key, so hosts
// that share OTPSessionKeyFile and a store accept each other's codes); nullptr before
// post_config.
const otp::HmacSha256Key* otp_code_key(server_rec* s);
// Derives every server's code key (post_config, after the session keys).
bool otp_derive_code_keys(server_rec* main_server);

inline otp_server_config* otp_server_conf(server_rec* s) {
    return static_cast<otp_server_config*>(ap_get_module_config(s->module_config, &otp_module));
}
