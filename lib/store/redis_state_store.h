// otp::StateStore on Redis (OTPStateStore redis://, redis+unix://, redis-sentinel://): the
// store several httpd hosts share, so that their limits, replay records and sessions are one.
// Every operation is one round trip and atomic on the server: add is SET NX EX, the
// read-modify-write operations are Lua scripts (store/redis_scripts.h), put/get/remove are
// plain commands. Keys are the module's record keys (hashes and random ids, never a user
// name or a code) behind OTPStateStorePrefix. Any failure, or no answer within
// OTPStateStoreTimeout, is an error (the caller fails closed); never a wait beyond it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis_pool.h"
#include "store/redis_scripts.h"
#include "store/state_store.h"

namespace otp {

class RedisStateStore final : public StateStore {
public:
    // A light handle for one request; the pool is the process's. The handle's operations
    // together wait at most OTPStateStoreTimeout (see exchange), and again after
    // renew_timeout().
    explicit RedisStateStore(RedisPool& pool) : pool_(pool) {}

    StoreStatus add(std::string_view key, std::string_view value,
                    std::int64_t ttl_seconds) override;
    std::optional<std::int64_t> increment(std::string_view key, std::int64_t ttl_seconds) override;
    std::optional<std::int64_t> decrement(std::string_view key) override;
    GuardedCount increment_unless(std::string_view key, std::int64_t ttl_seconds,
                                  std::string_view blocker) override;
    std::optional<bool> advance(std::string_view key, std::uint64_t value,
                                std::int64_t ttl_seconds) override;
    StoreStatus compare_and_set(std::string_view key, std::string_view expected,
                                std::string_view desired, std::int64_t ttl_seconds) override;
    StoreStatus put(std::string_view key, std::string_view value,
                    std::int64_t ttl_seconds) override;
    StoreStatus get(std::string_view key, std::string* value) override;
    StoreStatus remove(std::string_view key) override;
    // One script, one round trip.
    GuessCountAnswer count_guess(const GuessCountRequest& request) override;
    void renew_timeout() override { waited_ = std::chrono::microseconds(0); }

    // Why the first failed operation of this handle failed, for the error log: the server and
    // what went wrong ("redis 127.0.0.1:6379: no answer within the timeout"). Never holds a
    // key, a value or the password. Empty while nothing failed.
    const std::string& failure_reason() const { return failure_reason_; }
    // How many operations of this handle failed.
    unsigned failures() const { return failures_; }

private:
    // One command on a connection of the pool, within one OTPStateStoreTimeout. An empty
    // reply when it could not be run or Redis answered an error (both recorded).
    RedisReply run(const std::vector<std::string_view>& argv);
    // The one place a command meets the pool: a lease, the command, NOSCRIPT (for
    // `script`: EVAL instead), READONLY and error replies. An empty reply on any failure.
    RedisReply exchange(std::vector<std::string_view>& argv, const RedisScript* script);
    // EVALSHA, and EVAL when the server does not have the script (NOSCRIPT).
    RedisReply run_script(const RedisScript& script, const std::vector<std::string_view>& keys,
                          const std::vector<std::string_view>& args);
    std::string prefixed(std::string_view key) const;
    // Records a failure; returns `status`.
    StoreStatus failed(std::string why, StoreStatus status = StoreStatus::error);

    RedisPool& pool_;
    std::chrono::microseconds waited_{0};  // in this handle's operations so far
    std::string failure_reason_;
    unsigned failures_ = 0;
};

}  // namespace otp
