#include "mod_otp/store/request_store.h"

RequestStore::RequestStore(OtpModuleState& state, server_rec* server, apr_pool_t* pool) {
    if (state.table_region)
        table_.emplace(state.table_region, state.store_config.timeout_ms);
    else
        socache_.emplace(state, server, pool);
}

otp::StateStore& RequestStore::get() {
    if (table_) return *table_;
    return *socache_;
}
