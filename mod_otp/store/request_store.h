// The state store one request works with: mod_otp's own shared table (OTPStateStore shmcb,
// the default), Redis (redis://...), or a mod_socache provider (memcache, dbm, ...). A light
// handle, made per request; the Redis store's failures are logged when it ends.
#pragma once

#include <optional>

#include "mod_otp/http/apache_headers.h"
#include "mod_otp/lifecycle/module_state.h"
#include "mod_otp/store/socache_state_store.h"
#include "store/redis_state_store.h"
#include "store/shared_table_store.h"
#include "store/state_store.h"

class RequestStore {
public:
    RequestStore(OtpModuleState& state, server_rec* server, apr_pool_t* pool);
    ~RequestStore();
    RequestStore(const RequestStore&) = delete;
    RequestStore& operator=(const RequestStore&) = delete;

    otp::StateStore& get();

private:
    std::optional<otp::SharedTableStore> table_;
    std::optional<SocacheStateStore> socache_;
    std::optional<otp::RedisStateStore> redis_;
    server_rec* server_;
};
