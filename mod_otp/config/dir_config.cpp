#include "mod_otp/config/dir_config.h"

#include <apr_lib.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/config/server_config.h"
#include "session/session_cookie.h"

APLOG_USE_MODULE(otp);

namespace {

constexpr int kUnset = -1;

int pick(int inner, int outer) { return inner != kUnset ? inner : outer; }
int or_default(int value, int fallback) { return value != kUnset ? value : fallback; }

// Parses a whole decimal number in [min, max]; nullptr on success, else the reason.
const char* parse_int(cmd_parms* cmd, const char* text, int min, int max, int* out) {
    char* end = nullptr;
    errno = 0;
    long value = std::strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || value < min || value > max)
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number from %d to %d",
                            cmd->cmd->name, text, min, max);
    *out = static_cast<int>(value);
    return nullptr;
}

// Every handler below stores into an int member named by the directive's cmd_data offset.
int* field(cmd_parms* cmd, void* conf) {
    return reinterpret_cast<int*>(static_cast<char*>(conf) +
                                  reinterpret_cast<std::uintptr_t>(cmd->info));
}

template <int Min, int Max>
const char* set_int(cmd_parms* cmd, void* conf, const char* arg) {
    return parse_int(cmd, arg, Min, Max, field(cmd, conf));
}

const char* set_users_file(cmd_parms* cmd, void* raw, const char* path, const char* layout) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    otp::UsersFileLayout parsed = otp::UsersFileLayout::oath;
    if (layout && std::string(layout) == "mod_authn_otp")
        parsed = otp::UsersFileLayout::mod_authn_otp;
    else if (layout && std::string(layout) != "oath")
        return apr_psprintf(cmd->pool,
                            "OTPUsersFile: unknown layout '%s' (expected oath or mod_authn_otp)",
                            layout);
    const char* resolved = ap_server_root_relative(cmd->pool, path);
    if (!resolved) return apr_psprintf(cmd->pool, "OTPUsersFile: invalid path '%s'", path);
    // Read it now, so a broken file fails `apachectl configtest` with its file and line.
    std::string error;
    try {
        if (!otp_state().users.preload(resolved, parsed, &error))
            return apr_psprintf(cmd->pool, "OTPUsersFile: %s", error.c_str());
    } catch (const std::exception& e) {
        return apr_psprintf(cmd->pool, "OTPUsersFile: %s: %s", resolved, e.what());
    }
    conf->users_file = resolved;
    conf->users_layout = static_cast<int>(parsed);
    return nullptr;
}

const char* set_state_store(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = ap_check_cmd_context(cmd, GLOBAL_ONLY)) return err;
    std::string spec(arg);
    std::string::size_type colon = spec.find(':');
    OtpStoreConfig& store = otp_state().store_config;
    store.provider = spec.substr(0, colon);
    store.args = colon == std::string::npos ? "" : spec.substr(colon + 1);
    store.configured = true;
    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, store.provider.c_str(),
                            AP_SOCACHE_PROVIDER_VERSION))
        return apr_psprintf(cmd->pool,
                            "OTPStateStore: no socache provider '%s' is loaded "
                            "(LoadModule socache_%s_module before this line)",
                            store.provider.c_str(), store.provider.c_str());
    return nullptr;
}

const char* set_validation_pipe(cmd_parms* cmd, void* raw, const char* name) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    std::string pipe(name);
    if (pipe == "totp")
        conf->validation_pipe = static_cast<int>(otp::TokenKind::time);
    else if (pipe == "hotp")
        conf->validation_pipe = static_cast<int>(otp::TokenKind::counter);
    else
        return apr_psprintf(cmd->pool,
                            "OTPValidationPipe: '%s' is not available (this version has the "
                            "pipes totp and hotp)",
                            name);
    return nullptr;
}

const char* set_lockout(cmd_parms* cmd, void* raw, const char* args) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    const char* failures = ap_getword_conf(cmd->temp_pool, &args);
    const char* window = ap_getword_conf(cmd->temp_pool, &args);
    const char* ban = ap_getword_conf(cmd->temp_pool, &args);
    if (!strcasecmp(failures, "off") && !*window) {
        conf->lockout_failures = 0;
        conf->lockout_window = conf->lockout_ban = 0;
        return nullptr;
    }
    if (!*ban || *ap_getword_conf(cmd->temp_pool, &args))
        return "OTPLockout: expected 'failures window ban' (e.g. 5 300 900) or 'off'";
    if (const char* err = parse_int(cmd, failures, 1, 1000, &conf->lockout_failures)) return err;
    if (const char* err = parse_int(cmd, window, 1, 86400, &conf->lockout_window)) return err;
    return parse_int(cmd, ban, 1, 604800, &conf->lockout_ban);
}

const char* set_cookie_name(cmd_parms* cmd, void* raw, const char* name) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    // RFC 6265 token characters only: the name goes verbatim into Set-Cookie.
    for (const char* c = name; *c; ++c)
        if (!apr_isalnum(*c) && !strchr("!#$%&'*+-.^_`|~", *c))
            return apr_psprintf(cmd->pool, "OTPCookieName: '%s' is not a valid cookie name", name);
    if (!*name) return "OTPCookieName: empty name";
    conf->cookie_name = name;
    return nullptr;
}

const char* set_page_template(cmd_parms* cmd, void* raw, const char* path) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    const char* resolved = ap_server_root_relative(cmd->pool, path);
    apr_file_t* file = nullptr;
    apr_finfo_t info;
    if (!resolved || apr_file_open(&file, resolved, APR_READ, 0, cmd->temp_pool) != APR_SUCCESS ||
        apr_file_info_get(&info, APR_FINFO_SIZE, file) != APR_SUCCESS)
        return apr_psprintf(cmd->pool, "OTPPageTemplate: cannot read %s", path);
    if (info.size > 1024 * 1024)
        return apr_psprintf(cmd->pool, "OTPPageTemplate: %s is larger than 1 MiB", path);
    char* text = static_cast<char*>(apr_palloc(cmd->pool, info.size + 1));
    apr_size_t length = static_cast<apr_size_t>(info.size);
    if (length && apr_file_read_full(file, text, length, &length) != APR_SUCCESS)
        return apr_psprintf(cmd->pool, "OTPPageTemplate: cannot read %s", path);
    text[length] = '\0';
    apr_file_close(file);
    conf->page_template = text;
    return nullptr;
}

const char* set_translations(cmd_parms* cmd, void* raw, const char* dir) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    const char* resolved = ap_server_root_relative(cmd->pool, dir);
    if (!resolved) return apr_psprintf(cmd->pool, "OTPTranslations: invalid path '%s'", dir);
    std::string error;
    const otp::Translations* loaded = otp_state().load_translations(resolved, &error);
    if (!loaded) return apr_psprintf(cmd->pool, "OTPTranslations: %s", error.c_str());
    conf->translations = loaded;
    return nullptr;
}

const char* set_session_key_file(cmd_parms* cmd, void*, const char* path) {
    if (const char* err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT)) return err;
    const char* resolved = ap_server_root_relative(cmd->pool, path);
    std::string error;
    auto key = resolved ? otp::load_session_key_file(resolved, &error) : std::nullopt;
    if (!key) return apr_psprintf(cmd->pool, "OTPSessionKeyFile: %s", error.c_str());
    otp_server_conf(cmd->server)->session_key =
        static_cast<const char*>(apr_pmemdup(cmd->pool, key->data(), key->size()));
    return nullptr;
}

const char* set_customer_identifier(cmd_parms* cmd, void* raw, const char* expression) {
    auto* conf = static_cast<otp_dir_config*>(raw);
    const char* err = nullptr;
    conf->customer_identifier =
        ap_expr_parse_cmd(cmd, expression, AP_EXPR_FLAG_STRING_RESULT, &err, nullptr);
    if (err)
        return apr_psprintf(cmd->pool, "OTPCustomerIdentifier: cannot parse '%s': %s", expression,
                            err);
    return nullptr;
}

// Wraps each handler so that no C++ exception reaches httpd's config parser.
template <const char* (*Handler)(cmd_parms*, void*, const char*)>
const char* guarded1(cmd_parms* cmd, void* conf, const char* arg) {
    try {
        return Handler(cmd, conf, arg);
    } catch (const std::exception& e) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, e.what());
    } catch (...) {
        return apr_psprintf(cmd->pool, "%s: internal error", cmd->cmd->name);
    }
}

#define OTP_OFFSET(member) reinterpret_cast<void*>(APR_OFFSETOF(otp_dir_config, member))
#define OTP_DIR_SCOPE (RSRC_CONF | OR_AUTHCFG)

}  // namespace

void* otp_create_dir_config(apr_pool_t* pool, char* dir) {
    auto* conf = static_cast<otp_dir_config*>(apr_pcalloc(pool, sizeof(otp_dir_config)));
    conf->location = dir ? apr_pstrdup(pool, dir) : nullptr;
    conf->customer_identifier = nullptr;
    conf->users_file = nullptr;
    conf->users_layout = kUnset;
    conf->window = kUnset;
    conf->hotp_look_ahead = kUnset;
    conf->time_step = kUnset;
    conf->digits = kUnset;
    conf->basic_linger = kUnset;
    conf->validation_pipe = kUnset;
    conf->allowed_retry = kUnset;
    conf->lockout_failures = kUnset;
    conf->lockout_window = kUnset;
    conf->lockout_ban = kUnset;
    conf->session_lifetime = kUnset;
    conf->session_idle = kUnset;
    return conf;
}

void* otp_merge_dir_config(apr_pool_t* pool, void* base_raw, void* add_raw) {
    auto* base = static_cast<otp_dir_config*>(base_raw);
    auto* add = static_cast<otp_dir_config*>(add_raw);
    auto* conf = static_cast<otp_dir_config*>(apr_pcalloc(pool, sizeof(otp_dir_config)));
    conf->location = add->location ? add->location : base->location;
    conf->customer_identifier =
        add->customer_identifier ? add->customer_identifier : base->customer_identifier;
    conf->users_file = add->users_file ? add->users_file : base->users_file;
    conf->users_layout = add->users_file ? add->users_layout : base->users_layout;
    conf->window = pick(add->window, base->window);
    conf->hotp_look_ahead = pick(add->hotp_look_ahead, base->hotp_look_ahead);
    conf->time_step = pick(add->time_step, base->time_step);
    conf->digits = pick(add->digits, base->digits);
    conf->basic_linger = pick(add->basic_linger, base->basic_linger);
    conf->validation_pipe = pick(add->validation_pipe, base->validation_pipe);
    conf->allowed_retry = pick(add->allowed_retry, base->allowed_retry);
    const bool lockout_here = add->lockout_failures != kUnset;
    conf->lockout_failures = lockout_here ? add->lockout_failures : base->lockout_failures;
    conf->lockout_window = lockout_here ? add->lockout_window : base->lockout_window;
    conf->lockout_ban = lockout_here ? add->lockout_ban : base->lockout_ban;
    conf->session_lifetime = pick(add->session_lifetime, base->session_lifetime);
    conf->session_idle = pick(add->session_idle, base->session_idle);
    conf->cookie_name = add->cookie_name ? add->cookie_name : base->cookie_name;
    conf->page_template = add->page_template ? add->page_template : base->page_template;
    conf->translations = add->translations ? add->translations : base->translations;
    return conf;
}

otp::OtpPolicy otp_policy(const otp_dir_config* conf) {
    otp::OtpPolicy policy;
    if (conf->validation_pipe != kUnset)
        policy.only_kind = static_cast<otp::TokenKind>(conf->validation_pipe);
    policy.totp_window = static_cast<unsigned>(or_default(conf->window, 1));
    policy.hotp_look_ahead = static_cast<unsigned>(or_default(conf->hotp_look_ahead, 10));
    policy.default_step = static_cast<unsigned>(or_default(conf->time_step, 30));
    policy.default_digits = static_cast<unsigned>(or_default(conf->digits, 6));
    return policy;
}

otp::UsersFileLayout otp_users_layout(const otp_dir_config* conf) {
    return conf->users_layout == kUnset ? otp::UsersFileLayout::oath
                                        : static_cast<otp::UsersFileLayout>(conf->users_layout);
}

int otp_basic_linger(const otp_dir_config* conf) { return or_default(conf->basic_linger, 300); }

std::int64_t otp_session_lifetime(const otp_dir_config* conf) {
    return or_default(conf->session_lifetime, 28800);
}

std::int64_t otp_session_idle_timeout(const otp_dir_config* conf) {
    return or_default(conf->session_idle, 1800);
}

otp::LimitPolicy otp_limit_policy(const otp_dir_config* conf) {
    otp::LimitPolicy policy;
    policy.allowed_retry = static_cast<unsigned>(or_default(conf->allowed_retry, 2));
    if (conf->lockout_failures != kUnset) {
        policy.lockout = conf->lockout_failures > 0;
        policy.lockout_failures = static_cast<unsigned>(conf->lockout_failures);
        policy.lockout_window = conf->lockout_window;
        policy.lockout_ban = conf->lockout_ban;
    }
    policy.session_lifetime = otp_session_lifetime(conf);
    return policy;
}

const char* otp_cookie_name(const otp_dir_config* conf) {
    return conf->cookie_name ? conf->cookie_name : "otp_session";
}

const otp::Translations& otp_translations(const otp_dir_config* conf) {
    return conf->translations ? *conf->translations : otp_state().builtin_translations;
}

const command_rec otp_directives[] = {
    AP_INIT_TAKE12("OTPUsersFile", reinterpret_cast<cmd_func>(set_users_file), nullptr,
                   OTP_DIR_SCOPE,
                   "Path of the OATH users file, optionally followed by its layout "
                   "(oath or mod_authn_otp)"),
    AP_INIT_TAKE1("OTPStateStore", reinterpret_cast<cmd_func>(guarded1<set_state_store>), nullptr,
                  RSRC_CONF,
                  "socache provider for shared state, as provider[:args] (default shmcb)"),
    AP_INIT_TAKE1("OTPEventLog", reinterpret_cast<cmd_func>(otp_set_event_log), nullptr, RSRC_CONF,
                  "JSON-lines event log: a file, or \"|program\" for a piped logger"),
    AP_INIT_TAKE1("OTPCustomerIdentifier", reinterpret_cast<cmd_func>(set_customer_identifier),
                  nullptr, OTP_DIR_SCOPE,
                  "ap_expr giving CUSTOMER_IDENTIFIER for events, e.g. %{HTTP:X-Customer-Id}"),
    AP_INIT_TAKE1("OTPValidationPipe", reinterpret_cast<cmd_func>(guarded1<set_validation_pipe>),
                  nullptr, OTP_DIR_SCOPE,
                  "Which tokens validate codes here: totp or hotp (default: the user's)"),
    AP_INIT_TAKE1("OTPAllowedRetry", reinterpret_cast<cmd_func>(set_int<1, 100>),
                  OTP_OFFSET(allowed_retry), OTP_DIR_SCOPE,
                  "Wrong codes allowed in one login attempt; the n-th aborts it (default 2)"),
    AP_INIT_RAW_ARGS("OTPLockout", reinterpret_cast<cmd_func>(guarded1<set_lockout>), nullptr,
                     OTP_DIR_SCOPE, "'failures window ban' in seconds (default 5 300 900), or off"),
    AP_INIT_TAKE1("OTPSessionLifetime", reinterpret_cast<cmd_func>(set_int<1, 2592000>),
                  OTP_OFFSET(session_lifetime), OTP_DIR_SCOPE,
                  "Absolute session lifetime in seconds (default 28800)"),
    AP_INIT_TAKE1("OTPSessionIdleTimeout", reinterpret_cast<cmd_func>(set_int<1, 2592000>),
                  OTP_OFFSET(session_idle), OTP_DIR_SCOPE,
                  "Session ends after this many seconds without a request (default 1800)"),
    AP_INIT_TAKE1("OTPCookieName", reinterpret_cast<cmd_func>(guarded1<set_cookie_name>), nullptr,
                  OTP_DIR_SCOPE, "Session cookie name (default otp_session)"),
    AP_INIT_TAKE1("OTPPageTemplate", reinterpret_cast<cmd_func>(guarded1<set_page_template>),
                  nullptr, OTP_DIR_SCOPE, "HTML template of the OTP page"),
    AP_INIT_TAKE1("OTPTranslations", reinterpret_cast<cmd_func>(guarded1<set_translations>),
                  nullptr, OTP_DIR_SCOPE,
                  "Directory of <lang>.json files with extra or replaced page texts"),
    AP_INIT_TAKE1("OTPSessionKeyFile", reinterpret_cast<cmd_func>(guarded1<set_session_key_file>),
                  nullptr, RSRC_CONF,
                  "File with the 32-byte key (64 hex digits) that seals session cookies"),
    AP_INIT_TAKE1("OTPWindow", reinterpret_cast<cmd_func>(set_int<0, 10>), OTP_OFFSET(window),
                  OTP_DIR_SCOPE, "TOTP time steps accepted either side of now (default 1)"),
    AP_INIT_TAKE1("OTPHOTPLookAhead", reinterpret_cast<cmd_func>(set_int<0, 100>),
                  OTP_OFFSET(hotp_look_ahead), OTP_DIR_SCOPE,
                  "HOTP counters accepted ahead of the expected one (default 10)"),
    AP_INIT_TAKE1("OTPTimeStep", reinterpret_cast<cmd_func>(set_int<1, 3600>),
                  OTP_OFFSET(time_step), OTP_DIR_SCOPE,
                  "TOTP time step in seconds for tokens whose type does not say (default 30)"),
    AP_INIT_TAKE1("OTPDigits", reinterpret_cast<cmd_func>(set_int<6, 8>), OTP_OFFSET(digits),
                  OTP_DIR_SCOPE,
                  "Code length for tokens whose type does not say, 6 to 8 (default 6)"),
    AP_INIT_TAKE1("OTPBasicLinger", reinterpret_cast<cmd_func>(set_int<0, 86400>),
                  OTP_OFFSET(basic_linger), OTP_DIR_SCOPE,
                  "Seconds a Basic user+password stays accepted from the same address after "
                  "its code was validated; 0 = every request needs a new code (default 300)"),
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};
