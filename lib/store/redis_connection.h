// One connection to a Redis server (hiredis, synchronous), with every step bounded by a
// deadline: connect, AUTH, SELECT and each command. A connection that failed at the I/O level
// (timeout, reset, closed) is broken for good; the pool then opens another.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/redis_address.h"

struct redisContext;
struct redisReply;

namespace otp {

// The end of the time one store operation may take (OTPStateStoreTimeout from its start).
class Deadline {
public:
    explicit Deadline(std::chrono::milliseconds budget)
        : at_(std::chrono::steady_clock::now() + budget) {}
    // Whole milliseconds left, never below 0.
    std::chrono::milliseconds remaining() const;
    bool passed() const { return remaining().count() <= 0; }
    // The earlier of this deadline and `budget` from now (a share of the time for one step).
    Deadline capped(std::chrono::milliseconds budget) const;

private:
    explicit Deadline(std::chrono::steady_clock::time_point at) : at_(at) {}
    std::chrono::steady_clock::time_point at_;
};

// A reply as hiredis parsed it; frees itself.
class RedisReply {
public:
    RedisReply() = default;
    explicit RedisReply(redisReply* reply) : reply_(reply) {}

    explicit operator bool() const { return reply_ != nullptr; }
    bool is_error() const;   // "-ERR ...", "-NOSCRIPT ...", "-READONLY ..."
    bool is_status() const;  // "+OK"
    bool is_nil() const;
    bool is_integer() const;
    bool is_string() const;
    bool is_array() const;
    std::int64_t integer() const;
    std::string_view text() const;  // string, status or error text
    std::size_t elements() const;
    // The i-th element of an array reply, as a view that the parent owns.
    const redisReply* element(std::size_t i) const;
    static bool element_is_string(const redisReply* e);
    static std::string_view element_text(const redisReply* e);
    static bool element_integer(const redisReply* e, std::int64_t* out);

private:
    struct Free {
        void operator()(redisReply* reply) const;
    };
    std::unique_ptr<redisReply, Free> reply_;
};

class RedisConnection {
public:
    // Connects within the deadline. nullptr and *error ("redis 127.0.0.1:6379: Connection
    // refused") when it cannot.
    static std::unique_ptr<RedisConnection> open(const RedisEndpoint& endpoint,
                                                 const Deadline& deadline, std::string* error);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Sends one command (binary-safe arguments) and reads its reply within the deadline. An
    // empty reply and *error on an I/O failure or a timeout; the connection is broken then.
    // A Redis error reply is a reply (is_error()), not a failure of the connection.
    RedisReply command(std::initializer_list<std::string_view> argv, const Deadline& deadline,
                       std::string* error);
    RedisReply command(const std::vector<std::string_view>& argv, const Deadline& deadline,
                       std::string* error);

    // Whether the server closed this idle connection (a restart, a failover, its idle
    // timeout): Redis sends nothing unasked, so anything readable on an idle socket means
    // the connection is over. One poll(), no waiting; a connection that stayed idle in the
    // pool is checked before it is lent, so a restart costs no request its answer.
    bool peer_closed() const;

    bool broken() const { return broken_; }
    // The last failure was a timeout (a hung or overloaded server), not a refusal or a reset.
    bool timed_out() const { return timed_out_; }
    const RedisEndpoint& endpoint() const { return endpoint_; }
    // Why the connection broke ("redis 127.0.0.1:6379: Connection reset by peer").
    const std::string& failure() const { return failure_; }

private:
    RedisConnection(redisContext* context, RedisEndpoint endpoint);
    // Sets the socket's send and receive timeouts to what is left of the deadline; false when
    // nothing is left.
    bool arm(const Deadline& deadline);

    redisContext* context_;
    RedisEndpoint endpoint_;
    std::chrono::milliseconds armed_{-1};  // the socket timeout set last
    bool broken_ = false;
    bool timed_out_ = false;
    std::string failure_;
};

}  // namespace otp
