#include "mod_otp/config/dir_config.h"

#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/pipes/server_pipes.h"

namespace {

int pick(int inner, int outer) { return inner != kOtpUnset ? inner : outer; }
int or_default(int value, int fallback) { return value != kOtpUnset ? value : fallback; }

}  // namespace

void* otp_create_dir_config(apr_pool_t* pool, char* dir) {
    auto* conf = static_cast<otp_dir_config*>(apr_pcalloc(pool, sizeof(otp_dir_config)));
    conf->section_path = dir ? apr_pstrdup(pool, dir) : nullptr;
    conf->customer_identifier = nullptr;
    conf->users_file = nullptr;
    conf->users_layout = kOtpUnset;
    conf->window = kOtpUnset;
    conf->hotp_look_ahead = kOtpUnset;
    conf->time_step = kOtpUnset;
    conf->digits = kOtpUnset;
    conf->basic_linger = kOtpUnset;
    conf->address_failures = kOtpUnset;
    conf->address_window = kOtpUnset;
    conf->address_ban = kOtpUnset;
    conf->allowed_retry = kOtpUnset;
    conf->lockout_failures = kOtpUnset;
    conf->lockout_window = kOtpUnset;
    conf->lockout_ban = kOtpUnset;
    conf->session_lifetime = kOtpUnset;
    conf->session_idle = kOtpUnset;
    conf->delivered_length = kOtpUnset;
    conf->delivered_charset = kOtpUnset;
    conf->delivered_lifetime = kOtpUnset;
    conf->delivered_uses = kOtpUnset;
    conf->verify_returns_code = kOtpUnset;
    conf->twoway_length = kOtpUnset;
    conf->twoway_charset = kOtpUnset;
    conf->twoway_lifetime = kOtpUnset;
    conf->twoway_init_rate = kOtpUnset;
    return conf;
}

void* otp_merge_dir_config(apr_pool_t* pool, void* base_raw, void* add_raw) {
    auto* base = static_cast<otp_dir_config*>(base_raw);
    auto* add = static_cast<otp_dir_config*>(add_raw);
    auto* conf = static_cast<otp_dir_config*>(apr_pcalloc(pool, sizeof(otp_dir_config)));
    conf->section_path = add->section_path ? add->section_path : base->section_path;
    conf->customer_identifier =
        add->customer_identifier ? add->customer_identifier : base->customer_identifier;
    conf->users_file = add->users_file ? add->users_file : base->users_file;
    conf->users_layout = add->users_file ? add->users_layout : base->users_layout;
    conf->window = pick(add->window, base->window);
    conf->hotp_look_ahead = pick(add->hotp_look_ahead, base->hotp_look_ahead);
    conf->time_step = pick(add->time_step, base->time_step);
    conf->digits = pick(add->digits, base->digits);
    conf->basic_linger = pick(add->basic_linger, base->basic_linger);
    // OTPValidationPipe names either a built-in pipe or an OTPPipe: the inner one wins.
    const bool pipe_here = add->pipe || add->pipe_name;
    conf->pipe = pipe_here ? add->pipe : base->pipe;
    conf->pipe_name = pipe_here ? add->pipe_name : base->pipe_name;
    conf->pipe_where = pipe_here ? add->pipe_where : base->pipe_where;
    conf->pre_pipe_name = add->pre_pipe_name ? add->pre_pipe_name : base->pre_pipe_name;
    conf->pre_pipe_where = add->pre_pipe_name ? add->pre_pipe_where : base->pre_pipe_where;
    const bool code_here = add->delivered_length != kOtpUnset;
    conf->delivered_length = code_here ? add->delivered_length : base->delivered_length;
    conf->delivered_charset = code_here ? add->delivered_charset : base->delivered_charset;
    conf->delivered_lifetime = pick(add->delivered_lifetime, base->delivered_lifetime);
    conf->delivered_uses = pick(add->delivered_uses, base->delivered_uses);
    conf->verify_returns_code = pick(add->verify_returns_code, base->verify_returns_code);
    conf->twoway_length = pick(add->twoway_length, base->twoway_length);
    conf->twoway_charset = pick(add->twoway_charset, base->twoway_charset);
    conf->twoway_lifetime = pick(add->twoway_lifetime, base->twoway_lifetime);
    conf->twoway_init_rate = pick(add->twoway_init_rate, base->twoway_init_rate);
    conf->verify_returns_code_where = add->verify_returns_code != kOtpUnset
                                          ? add->verify_returns_code_where
                                          : base->verify_returns_code_where;
    conf->allowed_retry = pick(add->allowed_retry, base->allowed_retry);
    const bool lockout_here = add->lockout_failures != kOtpUnset;
    conf->lockout_failures = lockout_here ? add->lockout_failures : base->lockout_failures;
    conf->lockout_window = lockout_here ? add->lockout_window : base->lockout_window;
    conf->lockout_ban = lockout_here ? add->lockout_ban : base->lockout_ban;
    const bool address_here = add->address_failures != kOtpUnset;
    conf->address_failures = address_here ? add->address_failures : base->address_failures;
    conf->address_window = address_here ? add->address_window : base->address_window;
    conf->address_ban = address_here ? add->address_ban : base->address_ban;
    conf->session_lifetime = pick(add->session_lifetime, base->session_lifetime);
    conf->session_idle = pick(add->session_idle, base->session_idle);
    conf->cookie_name = add->cookie_name ? add->cookie_name : base->cookie_name;
    conf->page_template = add->page_template ? add->page_template : base->page_template;
    conf->translations = add->translations ? add->translations : base->translations;
    return conf;
}

otp::OtpPolicy otp_policy(const otp_dir_config* conf) {
    otp::OtpPolicy policy;
    policy.totp_window = static_cast<unsigned>(or_default(conf->window, 1));
    policy.hotp_look_ahead = static_cast<unsigned>(or_default(conf->hotp_look_ahead, 10));
    policy.default_step = static_cast<unsigned>(or_default(conf->time_step, 30));
    policy.default_digits = static_cast<unsigned>(or_default(conf->digits, 6));
    policy.delivered.length = static_cast<unsigned>(or_default(conf->delivered_length, 6));
    policy.delivered.charset = static_cast<otp::CodeCharset>(
        or_default(conf->delivered_charset, static_cast<int>(otp::CodeCharset::numeric)));
    policy.delivered.lifetime = or_default(conf->delivered_lifetime, 300);
    policy.delivered.uses = static_cast<unsigned>(or_default(conf->delivered_uses, 1));
    // Hosts sharing a Redis store each keep a copy of the users file: the store's counter is
    // what keeps them from accepting one HOTP code twice. One host's users file (under its
    // lock) is authority enough, and an administrator's counter reset must keep working.
    policy.hotp_counter_in_store = otp_state().store_config.redis.has_value();
    return policy;
}

const otp::Pipe* otp_pipe(server_rec* s, const otp_dir_config* conf) {
    if (conf->pipe_name) return otp_find_pipe(s, conf->pipe_name);
    return conf->pipe ? conf->pipe : &otp::token_type_pipe();
}

const otp::ExecPipe* otp_pre_pipe(server_rec* s, const otp_dir_config* conf) {
    return conf->pre_pipe_name ? otp_find_pipe(s, conf->pre_pipe_name) : nullptr;
}

std::string otp_users_scope(server_rec* s, const otp_dir_config* conf, const otp::Pipe& pipe) {
    if (conf->users_file) return conf->users_file;
    return std::string("pipe ") + pipe.name() + " of " +
           (s->server_hostname ? s->server_hostname : "") + ":" + std::to_string(s->port);
}

bool otp_delivers_codes(const otp_dir_config* conf) {
    return !conf->pipe_name && conf->pipe == &otp::delivered_pipe();
}

otp::UsersFileLayout otp_users_layout(const otp_dir_config* conf) {
    return conf->users_layout == kOtpUnset ? otp::UsersFileLayout::oath
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
    if (conf->lockout_failures != kOtpUnset) {
        policy.lockout = conf->lockout_failures > 0;
        policy.lockout_failures = static_cast<unsigned>(conf->lockout_failures);
        policy.lockout_window = conf->lockout_window;
        policy.lockout_ban = conf->lockout_ban;
    }
    if (conf->address_failures != kOtpUnset) {
        policy.address_lockout = conf->address_failures > 0;
        policy.address_failures = static_cast<unsigned>(conf->address_failures);
        policy.address_window = conf->address_window;
        policy.address_ban = conf->address_ban;
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

bool otp_verify_returns_code(const otp_dir_config* conf) { return conf->verify_returns_code == 1; }

otp::TwoWayPolicy otp_two_way_policy(const otp_dir_config* conf) {
    otp::TwoWayPolicy policy;
    policy.code.length = static_cast<unsigned>(or_default(conf->twoway_length, 6));
    policy.code.charset = static_cast<otp::CodeCharset>(
        or_default(conf->twoway_charset, static_cast<int>(otp::CodeCharset::numeric)));
    policy.lifetime = or_default(conf->twoway_lifetime, 300);
    policy.code.lifetime = policy.lifetime;
    policy.init_rate = static_cast<unsigned>(or_default(conf->twoway_init_rate, 30));
    policy.allowed_retry = otp_limit_policy(conf).allowed_retry;
    return policy;
}
