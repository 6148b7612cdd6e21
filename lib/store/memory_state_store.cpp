#include <ctime>

#include "store/state_store.h"

namespace otp {

bool MemoryStateStore::lock() {
    mutex_.lock();
    return true;
}

void MemoryStateStore::unlock() { mutex_.unlock(); }

std::int64_t MemoryStateStore::now() const {
    return fixed_now_ ? *fixed_now_ : static_cast<std::int64_t>(std::time(nullptr));
}

StoreStatus MemoryStateStore::load(const std::string& key, Record* record) {
    auto it = records_.find(key);
    if (it == records_.end()) return StoreStatus::not_found;
    if (it->second.expires <= now()) {
        records_.erase(it);
        return StoreStatus::not_found;
    }
    *record = it->second;
    return StoreStatus::ok;
}

StoreStatus MemoryStateStore::save(const std::string& key, const Record& record) {
    records_[key] = record;
    return StoreStatus::ok;
}

StoreStatus MemoryStateStore::erase(const std::string& key) {
    return records_.erase(key) ? StoreStatus::ok : StoreStatus::not_found;
}

}  // namespace otp
