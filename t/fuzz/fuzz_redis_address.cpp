// The address of a Redis state store (OTPStateStore redis://, redis+unix://,
// redis-sentinel://; lib/store/redis_address.h): the input is one address.
//
// Properties:
//  - a refusal has a reason; an accepted address is a Redis address (is_redis_address) of the
//    kind its scheme names, within the documented limits: port 1..65535, database 0..15,
//    1..16 sentinels, a host of name characters (or an IPv6 address), a master name of name
//    characters, an absolute socket path without control characters;
//  - describe() is the canonical form: it parses again, to the same address, and describes
//    itself (a fixed point);
//  - a password in the address (redis://:secret@host, any '@' outside a socket path) is
//    refused with one fixed reason, whatever the input: the reason quotes neither the part
//    before the '@' nor the part after it, so nothing of it reaches configtest output or the
//    error log. In a socket address (where '@' is a path character) a userinfo before the
//    path is not quoted either.
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "store/redis_address.h"
#include "util/utf8.h"

using namespace otp;

namespace {

constexpr std::string_view kTcp = "redis://";
constexpr std::string_view kUnix = "redis+unix://";
constexpr std::string_view kSentinel = "redis-sentinel://";

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

bool same(const RedisAddress& a, const RedisAddress& b) {
    return a.kind == b.kind && a.server == b.server && a.sentinels == b.sentinels &&
           a.master_name == b.master_name && a.db == b.db;
}

bool name_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '-' || c == '.' || c == '_';
}

// A host as the parser may keep it: name characters, or (IPv6, written in brackets) letters,
// digits, ':' and '.'.
bool host_ok(const std::string& host) {
    if (host.empty()) return false;
    bool name = true, ipv6 = true;
    for (char c : host) {
        name &= name_char(c);
        ipv6 &= (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == ':' || c == '.';
    }
    return name || ipv6;
}

void check_endpoint(const RedisEndpoint& e, std::string_view text) {
    FUZZ_CHECK(host_ok(e.host), "'%s': host '%s'", FUZZ_P(text), FUZZ_P(e.host));
    FUZZ_CHECK(e.port >= 1 && e.port <= 65535, "'%s': port %d", FUZZ_P(text), e.port);
    FUZZ_CHECK(e.unix_path.empty(), "'%s': a TCP endpoint with a socket path", FUZZ_P(text));
}

// The one reason for any address with a password in it.
const std::string& password_reason() {
    static const std::string reason = [] {
        std::string error;
        parse_redis_address("redis://:x@y", &error);
        return error;
    }();
    return reason;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_view(data, size);
    std::string error;
    const std::optional<RedisAddress> address = parse_redis_address(text, &error);
    FUZZ_CHECK(parse_redis_address(text, nullptr).has_value() == address.has_value(),
               "'%s': the answer depends on whether a reason is asked for", FUZZ_P(text));

    const bool unix_scheme = starts_with(text, kUnix);
    const std::size_t at = text.find('@');
    if (at != std::string_view::npos && !unix_scheme) {
        // The part before the '@' (a password) and the part after it (the server) are both
        // kept out of the reason: it is the same text for every such address.
        FUZZ_CHECK(!address, "'%s': an address with a password accepted", FUZZ_P(text));
        FUZZ_CHECK(error == password_reason(),
                   "'%s': the reason for a password in the address depends on the input: %s",
                   FUZZ_P(text), FUZZ_P(error));
        return 0;
    }
    if (unix_scheme && at != std::string_view::npos && !address) {
        // redis+unix://USER:PASSWORD@/path: the userinfo before the path is not quoted. The
        // reason may hold the same text only where it holds it whatever the userinfo is (its
        // own words, or a quote of what follows the '@').
        const std::string_view userinfo = text.substr(kUnix.size(), at - kUnix.size());
        // (A userinfo in a URL holds no '/', '?' or '#': those end it.)
        if (userinfo.size() >= 4 && userinfo.find_first_of("/?#") == std::string_view::npos &&
            fuzz::contains(error, userinfo)) {
            std::string other_error;
            parse_redis_address(std::string(kUnix) + "x" + std::string(text.substr(at)),
                                &other_error);
            FUZZ_CHECK(fuzz::contains(other_error, userinfo), "'%s': the reason quotes '%s': %s",
                       FUZZ_P(text), FUZZ_P(userinfo), FUZZ_P(error));
        }
    }

    if (!address) {
        FUZZ_CHECK(!error.empty(), "'%s' refused without a reason", FUZZ_P(text));
        if (!is_redis_address(text))
            FUZZ_CHECK(fuzz::contains(error, "expected redis://"),
                       "'%s': no Redis scheme, but the reason is: %s", FUZZ_P(text),
                       FUZZ_P(error));
        return 0;
    }

    // Accepted: a Redis address of the kind its scheme says, within the limits.
    FUZZ_CHECK(error.empty(), "'%s' accepted with a reason: %s", FUZZ_P(text), FUZZ_P(error));
    FUZZ_CHECK(is_redis_address(text), "'%s' accepted but is no Redis address", FUZZ_P(text));
    FUZZ_CHECK(address->db >= 0 && address->db <= kRedisMaxDb, "'%s': database %d", FUZZ_P(text),
               address->db);
    switch (address->kind) {
        case RedisAddress::Kind::tcp:
            FUZZ_CHECK(starts_with(text, kTcp), "'%s' read as TCP", FUZZ_P(text));
            check_endpoint(address->server, text);
            FUZZ_CHECK(address->sentinels.empty() && address->master_name.empty(),
                       "'%s': TCP with sentinels", FUZZ_P(text));
            break;
        case RedisAddress::Kind::unix_socket: {
            FUZZ_CHECK(unix_scheme, "'%s' read as a socket", FUZZ_P(text));
            const std::string& path = address->server.unix_path;
            FUZZ_CHECK(!path.empty() && path[0] == '/', "'%s': socket path '%s'", FUZZ_P(text),
                       FUZZ_P(path));
            FUZZ_CHECK(!has_control_characters(path), "'%s': a control character in the path",
                       FUZZ_P(text));
            FUZZ_CHECK(path.find('?') == std::string::npos, "'%s': '?' in the path '%s'",
                       FUZZ_P(text), FUZZ_P(path));
            FUZZ_CHECK(address->sentinels.empty(), "'%s': a socket with sentinels", FUZZ_P(text));
            break;
        }
        case RedisAddress::Kind::sentinel:
            FUZZ_CHECK(starts_with(text, kSentinel), "'%s' read as Sentinel", FUZZ_P(text));
            FUZZ_CHECK(!address->sentinels.empty() && address->sentinels.size() <= kMaxSentinels,
                       "'%s': %zu sentinels", FUZZ_P(text), address->sentinels.size());
            for (const RedisEndpoint& s : address->sentinels) check_endpoint(s, text);
            FUZZ_CHECK(!address->master_name.empty(), "'%s': no master name", FUZZ_P(text));
            for (char c : address->master_name)
                FUZZ_CHECK(name_char(c), "'%s': master name '%s'", FUZZ_P(text),
                           FUZZ_P(address->master_name));
            break;
    }

    // describe() is canonical: it reads back as the same address and is a fixed point.
    const std::string canonical = address->describe();
    FUZZ_CHECK(canonical.find('@') == std::string::npos || address->kind ==
                   RedisAddress::Kind::unix_socket,
               "'%s' described as '%s'", FUZZ_P(text), FUZZ_P(canonical));
    std::string again_error;
    const std::optional<RedisAddress> again = parse_redis_address(canonical, &again_error);
    FUZZ_CHECK(again.has_value(), "'%s' described as '%s', which is refused: %s", FUZZ_P(text),
               FUZZ_P(canonical), FUZZ_P(again_error));
    FUZZ_CHECK(same(*address, *again), "'%s' described as '%s', which reads back differently",
               FUZZ_P(text), FUZZ_P(canonical));
    FUZZ_CHECK(again->describe() == canonical, "'%s': describe() is no fixed point: '%s', '%s'",
               FUZZ_P(text), FUZZ_P(canonical), FUZZ_P(again->describe()));
    return 0;
}
