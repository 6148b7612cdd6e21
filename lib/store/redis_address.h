// Where a Redis state store lives, as OTPStateStore names it:
//   redis://HOST:PORT[/DB]                        one server over TCP (HOST may be [IPv6])
//   redis+unix:///PATH/redis.sock[?db=N]          one server over a Unix socket
//   redis-sentinel://H1:P1,H2:P2,.../MASTER[/DB]  the master that Redis Sentinel names
// Parsed once at configuration time, so a typo fails `apachectl configtest` with the reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otp {

struct RedisEndpoint {
    std::string host;       // TCP: a name or an address (IPv6 without brackets)
    int port = 6379;        // TCP
    std::string unix_path;  // set for a Unix socket (then host and port are unused)

    // "127.0.0.1:6379", "[::1]:6379" or "unix:/run/redis.sock": for log lines.
    std::string describe() const;
    bool operator==(const RedisEndpoint& other) const {
        return host == other.host && port == other.port && unix_path == other.unix_path;
    }
};

struct RedisAddress {
    enum class Kind { tcp, unix_socket, sentinel };
    Kind kind = Kind::tcp;
    RedisEndpoint server;                  // tcp and unix_socket
    std::vector<RedisEndpoint> sentinels;  // sentinel
    std::string master_name;               // sentinel
    int db = 0;                            // SELECT after connecting (0: none needed)

    // The address as written back in canonical form, for log lines (it holds no password:
    // OTPStateStorePasswordFile keeps that out of httpd.conf).
    std::string describe() const;
};

constexpr int kRedisDefaultPort = 6379;
constexpr int kSentinelDefaultPort = 26379;
constexpr int kRedisMaxDb = 15;           // Redis's default `databases 16`
constexpr std::size_t kMaxSentinels = 16;

// True when `spec` uses one of the three schemes above (and so is no socache provider).
bool is_redis_address(std::string_view spec);

// std::nullopt and *error (naming the problem) when `spec` is malformed.
std::optional<RedisAddress> parse_redis_address(std::string_view spec, std::string* error);

}  // namespace otp
