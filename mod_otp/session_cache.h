// Keeps the session check off the shared store for most requests. Checking a session against
// the store (is it logged out? was its user locked out?) takes the store's global mutex
// twice, which under load costs more than the rest of the request. So each process remembers
// the session ids it verified, and forgets them all whenever any process of the server
// revokes a session (logout, lockout): a revocation counter in shared memory, read without a
// lock. Entries also age out after a few seconds, so revocations made by another server
// sharing an external store (memcache, redis) take effect there within that time.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "apache_headers.h"

class SessionCache {
public:
    static constexpr std::int64_t kMaxAgeSeconds = 5;
    static constexpr std::size_t kMaxEntries = 100000;

    // Creates the shared counter (post_config, in the parent, before children fork).
    apr_status_t create(apr_pool_t* pconf);

    // The counter now; pass it to remember() so a check that raced a revocation is not kept.
    std::uint64_t generation() const;
    bool verified(const std::string& session_id, std::int64_t now);
    void remember(const std::string& session_id, std::uint64_t generation, std::int64_t now);
    // Any process: a session was revoked; every process forgets what it verified.
    void revoke_all();

private:
    std::atomic<std::uint64_t>* shared_generation_ = nullptr;
    std::mutex mutex_;
    std::uint64_t generation_ = 0;
    std::unordered_map<std::string, std::int64_t> verified_at_;
};
