// Keeps the per-request checks off the shared store. Asking the store takes its global mutex,
// which under load costs more than the rest of the request, so each process remembers what it
// verified there, until a given time:
//  - session ids (logged out? user locked out?) for OTPSessionRecheck seconds (1 with a
//    Redis store, else 5), so that revocations made by another host sharing the store take
//    effect within that time; every process forgets them all at once whenever any process of this server revokes
//    a session (logout, lockout): a revocation counter in shared memory, read without a lock;
//  - OTPBasicLinger records until they expire: they are never revoked early.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "mod_otp/http/apache_headers.h"

class SessionCache {
public:
    static constexpr std::size_t kMaxEntries = 100000;

    // Creates the shared counter (post_config, in the parent, before children fork).
    apr_status_t create(apr_pool_t* pconf);

    // The counter now; pass it to remember() so a check that raced a revocation is not kept.
    std::uint64_t generation() const;
    bool verified(const std::string& key, std::int64_t now);
    // Remembers `key` as verified until `valid_until` (unix time).
    void remember(const std::string& key, std::uint64_t generation, std::int64_t valid_until);
    // Any process: a session was revoked; every process forgets what it verified.
    void revoke_all();

private:
    std::atomic<std::uint64_t>* shared_generation_ = nullptr;
    std::mutex mutex_;
    std::uint64_t generation_ = 0;
    std::unordered_map<std::string, std::int64_t> valid_until_;
};
