#include "mod_otp/store/request_store.h"

#include "mod_otp/store/redis_store_setup.h"

RequestStore::RequestStore(OtpModuleState& state, server_rec* server, apr_pool_t* pool)
    : server_(server) {
    if (state.redis_pool)
        redis_.emplace(*state.redis_pool);
    else if (state.table_region)
        table_.emplace(state.table_region, state.store_config.timeout_ms);
    else
        socache_.emplace(state, server, pool);
}

RequestStore::~RequestStore() {
    try {
        if (redis_) otp_redis_log_failures(*redis_, server_);
    } catch (...) {
    }
}

otp::StateStore& RequestStore::get() {
    if (redis_) return *redis_;
    if (table_) return *table_;
    return *socache_;
}
