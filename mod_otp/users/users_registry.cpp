#include "mod_otp/users/users_registry.h"

#include "util/error.h"

std::string UsersRegistry::key(const std::string& path, otp::UsersFileLayout layout) {
    return (layout == otp::UsersFileLayout::oath ? "oath:" : "mod_authn_otp:") + path;
}

bool UsersRegistry::preload(const std::string& path, otp::UsersFileLayout layout,
                            std::string* error) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string name = key(path, layout);
    auto found = entries_.find(name);
    if (found == entries_.end()) {
        if (entries_.size() >= kMaxFiles)
            return otp::set_error(
                error, path + ": not loaded: this server already has " +
                           std::to_string(kMaxFiles) +
                           " distinct users files (OTPUsersFile in .htaccess files counts each "
                           "path; name fewer files, or set OTPUsersFile in the server "
                           "configuration)");
    }
    if (found != entries_.end() && found->second.index) {
        auto identity = otp::stat_identity(path, error);
        if (!identity) return false;
        if (*identity == found->second.index->identity()) return true;
    }
    std::shared_ptr<const otp::UsersIndex> index = otp::UsersIndex::load(path, layout, error);
    if (!index) return false;
    // Only files that loaded take a place (a missing or broken file does not use up the
    // bound). An entry, once in the map, is never erased in this generation.
    if (found == entries_.end()) found = entries_.emplace(name, Entry()).first;
    found->second.index = std::move(index);
    return true;
}

UsersRegistry::Lookup UsersRegistry::get(const std::string& path, otp::UsersFileLayout layout,
                                         std::int64_t now) {
    Lookup result;
    std::shared_ptr<const otp::UsersIndex> current;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto found = entries_.find(key(path, layout));
        if (found == entries_.end()) {
            result.error = path + ": was not loaded while the configuration was read";
            return result;
        }
        Entry& entry = found->second;
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
    Entry& entry = entries_.find(key(path, layout))->second;  // never erased, so still there
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
