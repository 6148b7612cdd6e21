#include "mod_otp/session/session_cache.h"

#include <apr_shm.h>

#include <new>

apr_status_t SessionCache::create(apr_pool_t* pconf) {
    apr_shm_t* shm = nullptr;
    // Anonymous shared memory: mapped in the parent, inherited by every child.
    apr_status_t rv = apr_shm_create(&shm, sizeof(std::atomic<std::uint64_t>), nullptr, pconf);
    if (rv != APR_SUCCESS) return rv;
    shared_generation_ = new (apr_shm_baseaddr_get(shm)) std::atomic<std::uint64_t>(0);
    return APR_SUCCESS;
}

std::uint64_t SessionCache::generation() const {
    return shared_generation_ ? shared_generation_->load(std::memory_order_acquire) : 0;
}

bool SessionCache::verified(const std::string& key, std::int64_t now) {
    if (!shared_generation_) return false;  // no shared counter: always ask the store
    const std::uint64_t current = generation();
    std::lock_guard<std::mutex> lock(mutex_);
    if (current != generation_) {
        valid_until_.clear();
        generation_ = current;
        return false;
    }
    auto it = valid_until_.find(key);
    return it != valid_until_.end() && now < it->second;
}

void SessionCache::remember(const std::string& key, std::uint64_t generation,
                            std::int64_t valid_until) {
    if (!shared_generation_) return;
    std::lock_guard<std::mutex> lock(mutex_);
    // Verified before a revocation that has happened since: the check may be stale.
    if (generation != this->generation() || generation != generation_) return;
    if (valid_until_.size() >= kMaxEntries) valid_until_.clear();
    valid_until_[key] = valid_until;
}

void SessionCache::revoke_all() {
    if (shared_generation_) shared_generation_->fetch_add(1, std::memory_order_acq_rel);
}
