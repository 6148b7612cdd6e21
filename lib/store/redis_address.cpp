#include "store/redis_address.h"

#include "util/ascii.h"
#include "util/numbers.h"
#include "util/utf8.h"

namespace otp {
namespace {

constexpr std::string_view kTcpScheme = "redis://";
constexpr std::string_view kUnixScheme = "redis+unix://";
constexpr std::string_view kSentinelScheme = "redis-sentinel://";

// Refusals never quote the address: what it holds where a host, port or number belongs may be
// a password (redis://h:6379/0?password=...), and configtest output and the error log must
// not repeat it.
bool fail(std::string* error, std::string message) {
    if (error) *error = std::move(message);
    return false;
}

bool host_char_ok(char c) { return is_ascii_alnum(c) || c == '-' || c == '.' || c == '_'; }

// HOST[:PORT] or [IPV6][:PORT].
bool parse_endpoint(std::string_view text, int default_port, RedisEndpoint* out,
                    std::string* error) {
    std::string_view host = text;
    std::string_view port;
    if (starts_with(text, "[")) {
        const auto close = text.find(']');
        if (close == std::string_view::npos) return fail(error, "no ']' after an IPv6 address");
        host = text.substr(1, close - 1);
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest[0] != ':') return fail(error, "expected ':PORT' after an IPv6 address's ']'");
            port = rest.substr(1);
        }
        for (char c : host)
            if (!(is_ascii_alnum(c) || c == ':' || c == '.'))
                return fail(error, "the host in [brackets] is no IPv6 address");
    } else {
        const auto colon = text.rfind(':');
        if (colon != std::string_view::npos) {
            host = text.substr(0, colon);
            port = text.substr(colon + 1);
        }
        for (char c : host)
            if (!host_char_ok(c))
                return fail(error,
                            "the host is no host name or address (letters, digits, '-', '.', "
                            "'_'; IPv6 goes in [brackets])");
    }
    if (host.empty()) return fail(error, "no host before the port");
    out->host = std::string(host);
    out->port = default_port;
    if (!port.empty() || text.back() == ':') {
        const auto number = parse_decimal<int>(port);
        if (!number || *number < 1 || *number > 65535)
            return fail(error, "the port is no number from 1 to 65535");
        out->port = *number;
    }
    return true;
}

bool parse_db(std::string_view text, int* db, std::string* error) {
    const auto number = parse_decimal<unsigned>(text);  // digits only: no "-0"
    if (!number || *number > static_cast<unsigned>(kRedisMaxDb))
        return fail(error, "the database number is not one of 0 to " + std::to_string(kRedisMaxDb));
    *db = static_cast<int>(*number);
    return true;
}

bool parse_tcp(std::string_view rest, RedisAddress* out, std::string* error) {
    out->kind = RedisAddress::Kind::tcp;
    const auto slash = rest.find('/');
    if (slash != std::string_view::npos && !parse_db(rest.substr(slash + 1), &out->db, error))
        return false;
    return parse_endpoint(rest.substr(0, slash), kRedisDefaultPort, &out->server, error);
}

bool parse_unix(std::string_view rest, RedisAddress* out, std::string* error) {
    out->kind = RedisAddress::Kind::unix_socket;
    std::string_view path = rest;
    const auto query = rest.find('?');
    if (query != std::string_view::npos) {
        path = rest.substr(0, query);
        const std::string_view option = rest.substr(query + 1);
        if (!starts_with(option, "db="))
            return fail(error, "the only option after the socket path is ?db=N");
        if (!parse_db(option.substr(3), &out->db, error)) return false;
    }
    if (path.empty() || path[0] != '/')
        return fail(error, "expected an absolute socket path: redis+unix:///path/redis.sock");
    if (has_control_characters(path))
        return fail(error, "the socket path holds a control character");
    out->server.unix_path = std::string(path);
    return true;
}

bool parse_sentinel(std::string_view rest, RedisAddress* out, std::string* error) {
    out->kind = RedisAddress::Kind::sentinel;
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 >= rest.size())
        return fail(error, "expected redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME");
    std::string_view hosts = rest.substr(0, slash);
    std::string_view name = rest.substr(slash + 1);
    const auto db_slash = name.find('/');
    if (db_slash != std::string_view::npos) {
        if (!parse_db(name.substr(db_slash + 1), &out->db, error)) return false;
        name = name.substr(0, db_slash);
    }
    for (char c : name)
        if (!host_char_ok(c))
            return fail(error, "the master name may hold letters, digits, '-', '.', '_'");
    if (name.empty()) return fail(error, "no master name after the sentinels");
    out->master_name = std::string(name);
    while (!hosts.empty()) {
        const auto comma = hosts.find(',');
        RedisEndpoint sentinel;
        if (!parse_endpoint(hosts.substr(0, comma), kSentinelDefaultPort, &sentinel, error))
            return false;
        if (out->sentinels.size() == kMaxSentinels)
            return fail(error, "more than " + std::to_string(kMaxSentinels) + " sentinels");
        out->sentinels.push_back(std::move(sentinel));
        if (comma == std::string_view::npos) break;
        hosts.remove_prefix(comma + 1);
        if (hosts.empty()) return fail(error, "a ',' with no sentinel after it");
    }
    if (out->sentinels.empty()) return fail(error, "no sentinel before the master name");
    return true;
}

}  // namespace

std::string RedisEndpoint::describe() const {
    if (!unix_path.empty()) return "unix:" + unix_path;
    const bool ipv6 = host.find(':') != std::string::npos;
    return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string RedisAddress::describe() const {
    const std::string db_suffix = db ? "/" + std::to_string(db) : "";
    switch (kind) {
        case Kind::tcp:
            return std::string(kTcpScheme) + server.describe() + db_suffix;
        case Kind::unix_socket:
            return std::string(kUnixScheme) + server.unix_path +
                   (db ? "?db=" + std::to_string(db) : "");
        case Kind::sentinel: {
            std::string text(kSentinelScheme);
            for (std::size_t i = 0; i < sentinels.size(); ++i)
                text += (i ? "," : "") + sentinels[i].describe();
            return text + "/" + master_name + db_suffix;
        }
    }
    return {};
}

bool is_redis_address(std::string_view spec) {
    return starts_with(spec, kTcpScheme) || starts_with(spec, kUnixScheme) ||
           starts_with(spec, kSentinelScheme);
}

std::optional<RedisAddress> parse_redis_address(std::string_view spec, std::string* error) {
    RedisAddress address;
    bool ok = false;
    // redis://:secret@host names a password: refused without quoting the address, so the
    // secret is not repeated in configtest output or the error log.
    if (!starts_with(spec, kUnixScheme) && spec.find('@') != std::string_view::npos) {
        fail(error,
             "a password does not go in the address (it would be in httpd.conf and "
             "its logs): put it in the file OTPStateStorePasswordFile names");
        return std::nullopt;
    }
    if (starts_with(spec, kTcpScheme))
        ok = parse_tcp(spec.substr(kTcpScheme.size()), &address, error);
    else if (starts_with(spec, kUnixScheme))
        ok = parse_unix(spec.substr(kUnixScheme.size()), &address, error);
    else if (starts_with(spec, kSentinelScheme))
        ok = parse_sentinel(spec.substr(kSentinelScheme.size()), &address, error);
    else
        fail(error, "expected redis://, redis+unix:// or redis-sentinel://");
    if (!ok) return std::nullopt;
    return address;
}

}  // namespace otp
