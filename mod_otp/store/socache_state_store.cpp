#include "mod_otp/store/socache_state_store.h"

#include <cstring>

#include "mod_otp/http/clock.h"
#include "mod_otp/store/redis_store_setup.h"
#include "mod_otp/store/shared_table_region.h"
#include "util/numbers.h"

APLOG_USE_MODULE(otp);

namespace {

// Room for the largest record the module stores and its "<expiry>:" prefix. The largest is a
// login attempt: the bound user (at most otp::kMaxUserBytes from the start endpoint; r->user
// for Require otp) and the return path (at most otp::kMaxReturnBytes; a longer one is replaced
// by the location before it is stored), so 4 KiB leaves room for both.
constexpr unsigned kMaxRecordBytes = 4096;
// What a socache provider may size itself by (ap_socache_hints::avg_obj_size): the average
// record (numbers and short tokens), not the largest.
constexpr unsigned kAverageRecordBytes = 128;

}  // namespace

bool SocacheStateStore::lock() {
    if (!state_.store_mutex) return false;  // never run unlocked: fail closed
    // Bounded: a provider call that hangs (a stopped memcached: mod_socache_memcache's reads
    // have no timeout) holds the lock, and every other request gives up after the timeout
    // instead of queuing behind it.
    apr_status_t rv = apr_global_mutex_timedlock(
        state_.store_mutex, apr_time_from_msec(state_.store_config.timeout_ms));
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, server_,
                     APR_STATUS_IS_TIMEUP(rv)
                         ? "state store: the lock was not free within OTPStateStoreTimeout "
                           "(%d ms): another request is waiting on the store"
                         : "state store: cannot take the lock (%d ms)",
                     state_.store_config.timeout_ms);
        return false;
    }
    return true;
}

void SocacheStateStore::unlock() { apr_global_mutex_unlock(state_.store_mutex); }

std::int64_t SocacheStateStore::now() const { return unix_now(); }

// Records are stored as "<expiry unix time>:<value>": socache gives no way to read an entry's
// expiry back, and increment must keep the original one.
otp::StoreStatus SocacheStateStore::load(const std::string& key, Record* record) {
    if (!state_.store_instance) return otp::StoreStatus::error;
    unsigned char buffer[kMaxRecordBytes];
    unsigned int length = sizeof buffer;
    apr_status_t rv = state_.store_provider->retrieve(
        state_.store_instance, server_, reinterpret_cast<const unsigned char*>(key.data()),
        static_cast<unsigned int>(key.size()), buffer, &length, pool_);
    if (rv == APR_NOTFOUND) return confirm_miss();
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, server_, "state store: retrieve failed");
        return otp::StoreStatus::error;
    }
    provider_answered_ = true;
    const char* begin = reinterpret_cast<const char*>(buffer);
    const char* end = begin + length;
    const char* colon = static_cast<const char*>(std::memchr(begin, ':', length));
    const auto expires =
        colon ? otp::parse_decimal<std::int64_t>(std::string_view(begin, colon - begin))
              : std::nullopt;
    if (!expires) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, server_, "state store: unreadable record");
        return otp::StoreStatus::error;
    }
    if (*expires <= now()) return otp::StoreStatus::not_found;
    record->expires = *expires;
    record->value.assign(colon + 1, end);
    return otp::StoreStatus::ok;
}

otp::StoreStatus SocacheStateStore::save(const std::string& key, const Record& record) {
    if (!state_.store_instance) return otp::StoreStatus::error;
    std::string data = std::to_string(record.expires) + ":" + record.value;
    if (data.size() > kMaxRecordBytes) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, server_,
                     "state store: record of %" APR_SIZE_T_FMT " bytes exceeds the %u-byte limit",
                     data.size(), kMaxRecordBytes);
        return otp::StoreStatus::error;
    }
    apr_status_t rv = state_.store_provider->store(
        state_.store_instance, server_, reinterpret_cast<const unsigned char*>(key.data()),
        static_cast<unsigned int>(key.size()), apr_time_from_sec(record.expires),
        reinterpret_cast<unsigned char*>(data.data()), static_cast<unsigned int>(data.size()),
        pool_);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, server_, "state store: store failed");
        return otp::StoreStatus::error;
    }
    provider_answered_ = true;
    return otp::StoreStatus::ok;
}

otp::StoreStatus SocacheStateStore::confirm_miss() {
    if (provider_answered_) return otp::StoreStatus::not_found;
    static constexpr char kProbeKey[] = "mod_otp.alive";
    unsigned char one[] = {'1'};
    const apr_status_t rv = state_.store_provider->store(
        state_.store_instance, server_, reinterpret_cast<const unsigned char*>(kProbeKey),
        sizeof kProbeKey - 1, apr_time_now() + apr_time_from_sec(2), one, sizeof one, pool_);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, server_,
                     "state store: a record was not found and the provider does not answer "
                     "a write either: treated as a store error, not as a missing record");
        return otp::StoreStatus::error;
    }
    provider_answered_ = true;
    return otp::StoreStatus::not_found;
}

otp::StoreStatus SocacheStateStore::erase(const std::string& key) {
    if (!state_.store_instance) return otp::StoreStatus::error;
    apr_status_t rv = state_.store_provider->remove(
        state_.store_instance, server_, reinterpret_cast<const unsigned char*>(key.data()),
        static_cast<unsigned int>(key.size()), pool_);
    if (rv == APR_NOTFOUND) return otp::StoreStatus::not_found;
    return rv == APR_SUCCESS ? otp::StoreStatus::ok : otp::StoreStatus::error;
}

apr_status_t otp_store_pre_config(apr_pool_t* pconf) {
    return ap_mutex_register(pconf, kOtpStoreMutexType, nullptr, APR_LOCK_DEFAULT, 0);
}

namespace {

apr_status_t destroy_store(void* data) {
    auto* state = static_cast<OtpModuleState*>(data);
    if (state->store_instance) state->store_provider->destroy(state->store_instance, nullptr);
    state->store_instance = nullptr;
    return APR_SUCCESS;
}

}  // namespace

const char* otp_store_post_config(OtpModuleState& state, apr_pool_t* pconf, apr_pool_t* ptemp,
                                  server_rec* server) {
    const OtpStoreConfig& config = state.store_config;
    // (Settings only a Redis store reads were checked by otp_redis_check_config.)
    if (config.redis) {
        otp_redis_post_config(state, server);
        return nullptr;
    }
    if (config.provider == "shmcb") return otp_table_post_config(state, ptemp, server);
    state.store_provider = static_cast<const ap_socache_provider_t*>(ap_lookup_provider(
        AP_SOCACHE_PROVIDER_GROUP, config.provider.c_str(), AP_SOCACHE_PROVIDER_VERSION));
    if (!state.store_provider)
        return apr_psprintf(ptemp,
                            "OTPStateStore: no socache provider '%s' is loaded (LoadModule "
                            "socache_%s_module)",
                            config.provider.c_str(), config.provider.c_str());
    const std::string& args = config.args;
    const char* err =
        state.store_provider->create(&state.store_instance, args.c_str(), ptemp, pconf);
    if (err) return apr_psprintf(ptemp, "OTPStateStore %s: %s", config.provider.c_str(), err);

    // The lock is taken for every provider, not only those flagged NOTMPSAFE: compound
    // operations (read, decide, write) must be atomic across processes, or two children
    // could both read "attempt 1" and both store "attempt 2".
    apr_status_t mutex_rv = ap_global_mutex_create(&state.store_mutex, nullptr, kOtpStoreMutexType,
                                                   nullptr, server, pconf, 0);
    if (mutex_rv != APR_SUCCESS) return "OTPStateStore: cannot create the global mutex";
    struct ap_socache_hints hints = {64, kAverageRecordBytes, 600 * APR_USEC_PER_SEC};
    apr_status_t rv =
        state.store_provider->init(state.store_instance, "mod_otp-state", &hints, server, pconf);
    if (rv != APR_SUCCESS)
        return apr_psprintf(ptemp, "OTPStateStore %s: initialisation failed (%d)",
                            config.provider.c_str(), rv);
    apr_pool_cleanup_register(pconf, &state, destroy_store, apr_pool_cleanup_null);
    // These providers can be pointed at one server from several hosts, but the global mutex
    // that makes each operation atomic only serialises this host's processes.
    for (const char* networked : {"memcache", "redis", "dc"})
        if (config.provider == networked)
            ap_log_error(APLOG_MARK, APLOG_WARNING, 0, server,
                         "mod_otp: OTPStateStore %s: limits, replay records and lockouts are "
                         "exact for this host only; hosts sharing this store each allow the "
                         "full limits. For several hosts use OTPStateStore redis://HOST:PORT "
                         "(see \"Several hosts\" in the README)",
                         config.provider.c_str());
    return nullptr;
}

void otp_store_child_init(OtpModuleState& state, apr_pool_t* pchild, server_rec* server) {
    if (!state.store_mutex) return;
    apr_status_t rv = apr_global_mutex_child_init(
        &state.store_mutex, apr_global_mutex_lockfile(state.store_mutex), pchild);
    if (rv != APR_SUCCESS)
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, server,
                     "state store: cannot reattach the global mutex in this child; every "
                     "OTP check will fail closed");
}
