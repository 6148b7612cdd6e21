// The connections of one process to the Redis state store. A small pool shared by the threads
// of an event/worker child (one connection per thread at most, up to kMaxConnections), one
// connection in a prefork child. Connections are opened lazily, in the process that uses them
// (never inherited across fork), set up with AUTH and SELECT, and after a failure the pool
// waits (100 ms, doubling up to 2 s) before it connects again, so a dead or hung Redis costs
// each request one fast refusal instead of a full timeout. With Redis Sentinel the pool asks
// the sentinels for the master, checks that the server it reached says it is the master
// (ROLE), and asks again after any connection failure or a READONLY reply.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/redis_address.h"
#include "store/redis_connection.h"

namespace otp {

struct RedisSettings {
    RedisAddress address;
    std::string password;                    // AUTH, when not empty (OTPStateStorePasswordFile)
    std::string prefix = "otp:";             // OTPStateStorePrefix: put before every key
    std::chrono::milliseconds timeout{250};  // OTPStateStoreTimeout: one operation, all steps
    std::size_t max_connections = 16;        // per process
};

enum class RedisLogLevel { error, warning, notice };

class RedisPool {
public:
    static constexpr std::chrono::milliseconds kFirstBackoff{100};
    static constexpr std::chrono::milliseconds kMaxBackoff{2000};
    // Sentinel: how often a process asks the sentinels again whether the master it writes
    // to is still the master. A failover by a partition leaves the old master writable until
    // it hears of the new one; connections to it are dropped at the next check.
    static constexpr std::chrono::milliseconds kMasterRecheck{1000};

    // `log` receives the pool's own events (connected, lost, failover followed); never a
    // password, a key or a value. It may be called from any thread.
    using Logger = std::function<void(RedisLogLevel, const std::string&)>;
    explicit RedisPool(RedisSettings settings, Logger log = {});
    ~RedisPool();
    RedisPool(const RedisPool&) = delete;
    RedisPool& operator=(const RedisPool&) = delete;

    // A connection lent to one operation; given back (or closed, when it broke or the master
    // changed meanwhile) when the lease ends.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        RedisConnection& connection() { return *connection_; }
        // The server answered READONLY (a replica, after a failover): close this connection
        // and every idle one, and find the master again.
        void master_moved();

    private:
        friend class RedisPool;
        Lease(RedisPool* pool, std::unique_ptr<RedisConnection> connection, std::uint64_t epoch)
            : pool_(pool), connection_(std::move(connection)), epoch_(epoch) {}
        RedisPool* pool_;
        std::unique_ptr<RedisConnection> connection_;
        std::uint64_t epoch_;
    };

    // An idle connection, or a new one, within the deadline. std::nullopt and *error when
    // none can be had (Redis unreachable, AUTH refused, waiting out a backoff, every
    // connection busy until the deadline).
    std::optional<Lease> acquire(const Deadline& deadline, std::string* error);

    const RedisSettings& settings() const { return settings_; }

private:
    // A new connection to the master, set up (AUTH, SELECT, ROLE with Sentinel).
    std::unique_ptr<RedisConnection> connect(const Deadline& deadline, std::string* error);
    std::optional<RedisEndpoint> master(const Deadline& deadline, std::string* error);
    std::optional<RedisEndpoint> ask_sentinels(const Deadline& deadline, std::string* error);
    bool set_up(RedisConnection& connection, const Deadline& deadline, std::string* error);
    // Sentinel: asks again for the master when the last answer is older than kMasterRecheck
    // (one thread at a time); a different answer retires every connection made so far.
    void recheck_master(const Deadline& deadline);
    void give_back(std::unique_ptr<RedisConnection> connection, std::uint64_t epoch);
    // A failure of the server, not of one command: close the idle connections, forget the
    // master (Sentinel), and wait before connecting again.
    void lost(const std::string& why, bool back_off);
    void drop_if_forked();  // requires mutex_
    void log(RedisLogLevel level, const std::string& message) const {
        if (log_) log_(level, message);
    }

    const RedisSettings settings_;
    const Logger log_;

    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<RedisConnection>> idle_;
    std::size_t open_ = 0;     // lent or idle
    std::uint64_t epoch_ = 0;  // +1 whenever the connections made so far must not be reused
    pid_t owner_;              // the process the connections belong to
    std::chrono::steady_clock::time_point retry_after_{};
    std::chrono::milliseconds backoff_{0};
    std::string last_failure_;
    bool was_lost_ = false;                      // for a "connected again" notice
    std::optional<RedisEndpoint> master_;        // Sentinel: the master the sentinels named
    std::atomic<std::size_t> next_sentinel_{0};  // Sentinel: the one to ask first
    std::chrono::steady_clock::time_point master_checked_{};  // Sentinel: when master_ was asked
    bool rechecking_ = false;  // Sentinel: a thread is asking the sentinels again
};

}  // namespace otp
