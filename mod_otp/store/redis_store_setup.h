// OTPStateStore redis://, redis+unix://, redis-sentinel://: the pool of each process (made in
// post_config, before the children fork; connections are opened lazily in each child) and
// the error-log lines of its failures.
#pragma once

#include "mod_otp/http/apache_headers.h"
#include "mod_otp/lifecycle/module_state.h"
#include "store/redis_state_store.h"

// check_config (runs for apachectl configtest too): OTPStateStorePasswordFile and
// OTPStateStorePrefix without a Redis store fail it.
int otp_redis_check_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp, server_rec* s);

// Makes the pool (no connection yet) and logs which store the server uses.
void otp_redis_post_config(OtpModuleState& state, server_rec* server);

// One error-log line for a request whose store operations failed: the store, how many
// operations failed and the first reason. Nothing when none failed.
void otp_redis_log_failures(const otp::RedisStateStore& store, server_rec* server);
