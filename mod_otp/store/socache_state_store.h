// otp::StateStore on an Apache socache provider (OTPStateStore; shmcb by default), shared by
// every process and thread of the server. Each operation holds the module's global mutex, so
// read-modify-write operations (increment, advance) are atomic across processes.
#pragma once

#include "mod_otp/http/apache_headers.h"
#include "mod_otp/lifecycle/module_state.h"
#include "store/state_store.h"

class SocacheStateStore final : public otp::KeyValueStateStore {
public:
    // A light handle for one request: `pool` serves the provider's allocations.
    SocacheStateStore(OtpModuleState& state, server_rec* server, apr_pool_t* pool)
        : state_(state), server_(server), pool_(pool) {}

protected:
    bool lock() override;
    void unlock() override;
    otp::StoreStatus load(const std::string& key, Record* record) override;
    otp::StoreStatus save(const std::string& key, const Record& record) override;
    otp::StoreStatus erase(const std::string& key) override;
    std::int64_t now() const override;

private:
    // mod_socache_memcache (and other network providers) answer a failed retrieve as "not
    // found": a miss is only believed once this handle has seen the provider answer (a hit, a
    // store, or a probe write), so a dead server never reads as "no lock, no replay record".
    otp::StoreStatus confirm_miss();

    OtpModuleState& state_;
    server_rec* server_;
    apr_pool_t* pool_;
    bool provider_answered_ = false;
};

// Lifecycle, following mod_authn_socache: register the mutex type (pre_config), create the
// provider instance and mutex (post_config), reattach the mutex in each child.
apr_status_t otp_store_pre_config(apr_pool_t* pconf);
// Returns nullptr or the reason the store cannot be set up (startup then fails).
const char* otp_store_post_config(OtpModuleState& state, apr_pool_t* pconf, apr_pool_t* ptemp,
                                  server_rec* server);
void otp_store_child_init(OtpModuleState& state, apr_pool_t* pchild, server_rec* server);
