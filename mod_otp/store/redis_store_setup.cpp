#include "mod_otp/store/redis_store_setup.h"

APLOG_USE_MODULE(otp);

int otp_redis_check_config(apr_pool_t*, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
    try {
        const OtpStoreConfig& config = otp_state().store_config;
        // A secret or a setting that only the Redis store reads is a mistake elsewhere: say
        // so (in configtest too) rather than let the administrator believe it is in use.
        const char* err = nullptr;
        if (config.password_file && !config.redis)
            err = apr_psprintf(ptemp,
                               "OTPStateStorePasswordFile %s: only a Redis store (OTPStateStore "
                               "redis://...) uses a password",
                               config.password_file);
        else if (config.prefix_set && !config.redis)
            err =
                "OTPStateStorePrefix: only a Redis store (OTPStateStore redis://...) uses a "
                "key prefix";
        if (!err) return OK;
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s, "mod_otp: %s", err);
    } catch (...) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     "mod_otp: checking the state store settings: internal error");
    }
    return HTTP_INTERNAL_SERVER_ERROR;
}

void otp_redis_post_config(OtpModuleState& state, server_rec* server) {
    const OtpStoreConfig& config = state.store_config;
    otp::RedisSettings settings;
    settings.address = *config.redis;
    settings.password = config.redis_password;
    settings.prefix = config.prefix;
    settings.timeout = std::chrono::milliseconds(config.timeout_ms);
    // The pool's own events (lost, connected again, a failover followed) go to the main
    // server's error log; server_rec outlives the pool (both belong to this generation).
    server_rec* main_server = server;
    auto log = [main_server](otp::RedisLogLevel level, const std::string& message) {
        const int priority = level == otp::RedisLogLevel::error     ? APLOG_ERR
                             : level == otp::RedisLogLevel::warning ? APLOG_WARNING
                                                                    : APLOG_NOTICE;
        ap_log_error(APLOG_MARK, priority, 0, main_server, "mod_otp: %s", message.c_str());
    };
    state.redis_pool = std::make_unique<otp::RedisPool>(std::move(settings), log);
    ap_log_error(APLOG_MARK, APLOG_NOTICE, 0, server,
                 "mod_otp: state store %s (key prefix '%s', timeout %d ms%s): limits, replay "
                 "records and sessions are shared with every host using it",
                 config.redis->describe().c_str(), config.prefix.c_str(), config.timeout_ms,
                 config.password_file ? ", AUTH from OTPStateStorePasswordFile" : "");
}

void otp_redis_log_failures(const otp::RedisStateStore& store, server_rec* server) {
    if (store.failures() == 0) return;
    ap_log_error(APLOG_MARK, APLOG_ERR, 0, server,
                 "mod_otp: state store %s: %u operation(s) failed, failing closed: %s",
                 otp_state().store_config.redis->describe().c_str(), store.failures(),
                 store.failure_reason().c_str());
}
