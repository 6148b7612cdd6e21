#include "mod_otp/users/users_registry.h"

std::string UsersRegistry::key(const std::string& path, otp::UsersFileLayout layout) {
    return (layout == otp::UsersFileLayout::oath ? "oath:" : "mod_authn_otp:") + path;
}

bool UsersRegistry::preload(const std::string& path, otp::UsersFileLayout layout,
                            std::string* error) {
    std::lock_guard<std::mutex> lock(mutex_);
    Entry& entry = entries_[key(path, layout)];
    if (entry.index) {
        auto identity = otp::stat_identity(path, error);
        if (!identity) return false;
        if (*identity == entry.index->identity()) return true;
    }
    std::shared_ptr<const otp::UsersIndex> index = otp::UsersIndex::load(path, layout, error);
    if (!index) return false;
    entry.index = std::move(index);
    return true;
}

UsersRegistry::Lookup UsersRegistry::get(const std::string& path, otp::UsersFileLayout layout,
                                         std::int64_t now) {
    Lookup result;
    std::shared_ptr<const otp::UsersIndex> current;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        Entry& entry = entries_[key(path, layout)];
        current = entry.index;
        // Checked this second already, or another thread is reloading: serve what we have.
        if (current && (entry.checked_at == now || entry.loading)) {
            result.index = std::move(current);
            return result;
        }
        entry.checked_at = now;
        entry.loading = true;
    }
    std::string error;
    std::shared_ptr<const otp::UsersIndex> fresh;
    auto identity = otp::stat_identity(path, &error);
    const bool unchanged = identity && current && *identity == current->identity();
    // Parse outside the lock, so requests keep being served from the previous version.
    if (identity && !unchanged) fresh = otp::UsersIndex::load(path, layout, &error);

    std::lock_guard<std::mutex> lock(mutex_);
    Entry& entry = entries_[key(path, layout)];
    entry.loading = false;
    if (unchanged) {
        result.index = entry.index;
        return result;
    }
    if (fresh) {
        entry.index = fresh;
        entry.last_error.clear();
        result.index = std::move(fresh);
        result.reloaded = true;
        return result;
    }
    result.index = entry.index;  // keep serving the last good version
    if (entry.last_error != error) {
        entry.last_error = error;
        result.error = error;  // the caller logs it once, not on every request
    }
    return result;
}
