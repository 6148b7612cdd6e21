// parse_redis_address (store/redis_address.h): the three forms of a Redis OTPStateStore with
// their defaults, describe() written back in canonical form and read again, and every refusal
// with its reason, so that a typo fails `apachectl configtest` saying what is wrong. A
// password put into the address is refused without repeating it.
#include <string>
#include <vector>

#include "store/redis_address.h"
#include "test_support.h"

using otp::RedisAddress;
using otp::RedisEndpoint;
using otp::parse_redis_address;

namespace {

RedisAddress must_parse(const std::string& spec) {
    std::string error;
    const std::optional<RedisAddress> address = parse_redis_address(spec, &error);
    if (!address) {
        print_error("'%s' refused: %s\n", spec.c_str(), error.c_str());
        fail();
    }
    assert_true(error.empty());
    assert_true(otp::is_redis_address(spec));
    return *address;
}

// Refused, with a reason that contains `reason`; the reason is returned.
std::string must_refuse(const std::string& spec, const std::string& reason) {
    std::string error;
    const std::optional<RedisAddress> address = parse_redis_address(spec, &error);
    if (address) {
        print_error("'%s' accepted as %s\n", spec.c_str(), address->describe().c_str());
        fail();
    }
    EXPECT_CONTAINS(error, reason);
    // Without a place for the reason the answer is the same.
    assert_false(parse_redis_address(spec, nullptr).has_value());
    return error;
}

bool same(const RedisAddress& a, const RedisAddress& b) {
    return a.kind == b.kind && a.server == b.server && a.sentinels == b.sentinels &&
           a.master_name == b.master_name && a.db == b.db;
}

// describe() is the canonical form: it parses to the same address and describes itself.
void round_trips(const std::string& spec, const std::string& canonical) {
    const RedisAddress address = must_parse(spec);
    EXPECT_STR_EQ(address.describe(), canonical);
    const RedisAddress again = must_parse(address.describe());
    assert_true(same(address, again));
    EXPECT_STR_EQ(again.describe(), canonical);
}

}  // namespace

static void tcp_forms(void**) {
    RedisAddress a = must_parse("redis://10.0.0.5:6380/3");
    assert_int_equal(static_cast<int>(a.kind), static_cast<int>(RedisAddress::Kind::tcp));
    EXPECT_STR_EQ(a.server.host, "10.0.0.5");
    assert_int_equal(a.server.port, 6380);
    assert_true(a.server.unix_path.empty());
    assert_int_equal(a.db, 3);

    a = must_parse("redis://redis.example.org");  // the default port, database 0
    EXPECT_STR_EQ(a.server.host, "redis.example.org");
    assert_int_equal(a.server.port, otp::kRedisDefaultPort);
    assert_int_equal(a.server.port, 6379);
    assert_int_equal(a.db, 0);

    a = must_parse("redis://[::1]:6380");  // IPv6 in brackets, kept without them
    EXPECT_STR_EQ(a.server.host, "::1");
    assert_int_equal(a.server.port, 6380);
    a = must_parse("redis://[2001:db8::7]/2");
    EXPECT_STR_EQ(a.server.host, "2001:db8::7");
    assert_int_equal(a.server.port, 6379);
    assert_int_equal(a.db, 2);

    assert_int_equal(must_parse("redis://h/15").db, 15);  // the highest of databases 16
    assert_int_equal(must_parse("redis://h/0").db, 0);
    assert_int_equal(must_parse("redis://h:1").server.port, 1);
    assert_int_equal(must_parse("redis://h:65535").server.port, 65535);
    assert_int_equal(must_parse("redis://redis-1.internal_net:7000").server.port, 7000);
}

static void unix_forms(void**) {
    RedisAddress a = must_parse("redis+unix:///run/redis/redis.sock?db=4");
    assert_int_equal(static_cast<int>(a.kind), static_cast<int>(RedisAddress::Kind::unix_socket));
    EXPECT_STR_EQ(a.server.unix_path, "/run/redis/redis.sock");
    assert_int_equal(a.db, 4);
    EXPECT_STR_EQ(a.server.describe(), "unix:/run/redis/redis.sock");

    a = must_parse("redis+unix:///run/redis.sock");
    EXPECT_STR_EQ(a.server.unix_path, "/run/redis.sock");
    assert_int_equal(a.db, 0);
    // '@' is just a character of a path here (no password can go into this form).
    EXPECT_STR_EQ(must_parse("redis+unix:///srv/app@blue/redis.sock").server.unix_path,
                  "/srv/app@blue/redis.sock");
}

static void sentinel_forms(void**) {
    RedisAddress a = must_parse("redis-sentinel://h:26379,h2/master/2");
    assert_int_equal(static_cast<int>(a.kind), static_cast<int>(RedisAddress::Kind::sentinel));
    assert_int_equal(a.sentinels.size(), 2);
    EXPECT_STR_EQ(a.sentinels[0].host, "h");
    assert_int_equal(a.sentinels[0].port, 26379);
    EXPECT_STR_EQ(a.sentinels[1].host, "h2");
    assert_int_equal(a.sentinels[1].port, otp::kSentinelDefaultPort);  // the default
    assert_int_equal(a.sentinels[1].port, 26379);
    EXPECT_STR_EQ(a.master_name, "master");
    assert_int_equal(a.db, 2);

    a = must_parse("redis-sentinel://[::1]:26380,10.0.0.2/my-master.v2_a");
    assert_int_equal(a.sentinels.size(), 2);
    EXPECT_STR_EQ(a.sentinels[0].host, "::1");
    assert_int_equal(a.sentinels[0].port, 26380);
    EXPECT_STR_EQ(a.master_name, "my-master.v2_a");
    assert_int_equal(a.db, 0);

    // Up to kMaxSentinels (16).
    std::string spec = "redis-sentinel://";
    for (int i = 0; i < 16; ++i) spec += (i ? "," : "") + std::string("s") + std::to_string(i);
    a = must_parse(spec + "/m");
    assert_int_equal(a.sentinels.size(), otp::kMaxSentinels);
    EXPECT_STR_EQ(a.sentinels[15].host, "s15");
}

static void describe_round_trips(void**) {
    round_trips("redis://10.0.0.5:6380/3", "redis://10.0.0.5:6380/3");
    round_trips("redis://redis.example.org", "redis://redis.example.org:6379");
    round_trips("redis://h:6379/0", "redis://h:6379");  // database 0 goes without saying
    round_trips("redis://h:0006379/00003", "redis://h:6379/3");  // leading zeros dropped
    round_trips("redis://[::1]:6380", "redis://[::1]:6380");
    round_trips("redis://[::1]", "redis://[::1]:6379");
    round_trips("redis+unix:///run/redis/redis.sock?db=4", "redis+unix:///run/redis/redis.sock?db=4");
    round_trips("redis+unix:///run/redis.sock?db=0", "redis+unix:///run/redis.sock");
    round_trips("redis-sentinel://h:26379,h2/master/2",
                "redis-sentinel://h:26379,h2:26379/master/2");
    round_trips("redis-sentinel://[::1],h2:1/m/0", "redis-sentinel://[::1]:26379,h2:1/m");
    // The endpoint alone, as log lines name a server.
    EXPECT_STR_EQ(must_parse("redis://[::1]:7").server.describe(), "[::1]:7");
    EXPECT_STR_EQ(must_parse("redis://127.0.0.1").server.describe(), "127.0.0.1:6379");
}

static void which_specs_are_redis(void**) {
    assert_true(otp::is_redis_address("redis://h"));
    assert_true(otp::is_redis_address("redis+unix:///s"));
    assert_true(otp::is_redis_address("redis-sentinel://h/m"));
    assert_true(otp::is_redis_address("redis://"));  // a Redis address, if a broken one
    assert_false(otp::is_redis_address("shmcb"));
    assert_false(otp::is_redis_address("shmcb:/var/run/otp(512000)"));
    assert_false(otp::is_redis_address("memcache:127.0.0.1:11211"));
    assert_false(otp::is_redis_address("redis"));  // mod_socache_redis
    assert_false(otp::is_redis_address("redis:127.0.0.1:6379"));
    assert_false(otp::is_redis_address(""));
    must_refuse("rediss://h:6380", "expected redis://, redis+unix:// or redis-sentinel://");
    must_refuse("", "expected redis://");
}

static void databases_out_of_range(void**) {
    const std::string range = "the database number is not one of 0 to 15";
    must_refuse("redis://h/16", range);
    must_refuse("redis://h/4294967296", range);
    must_refuse("redis://h/-0", range);  // digits only
    must_refuse("redis://h/-1", range);
    must_refuse("redis://h/+1", range);
    must_refuse("redis://h/ 1", range);
    must_refuse("redis://h/", range);
    must_refuse("redis://h/3/", range);
    must_refuse("redis://h/0x3", range);
    must_refuse("redis+unix:///s?db=16", range);
    must_refuse("redis+unix:///s?db=-0", range);
    must_refuse("redis+unix:///s?db=+1", range);
    must_refuse("redis+unix:///s?db=", range);
    must_refuse("redis-sentinel://h/m/16", range);
    must_refuse("redis-sentinel://h/m/-0", range);
    must_refuse("redis-sentinel://h/m/+1", range);
    must_refuse("redis-sentinel://h/m/", range);
}

static void ports_out_of_range(void**) {
    const std::string range = "the port is no number from 1 to 65535";
    must_refuse("redis://h:0", range);
    must_refuse("redis://h:65536", range);
    must_refuse("redis://h:99999999999999999999", range);
    must_refuse("redis://h:", range);
    must_refuse("redis://h:/2", range);
    must_refuse("redis://h:-1", range);
    must_refuse("redis://h:+80", range);
    must_refuse("redis://[::1]:", range);
    must_refuse("redis://[::1]:0", range);
    must_refuse("redis-sentinel://h:0/m", range);
    must_refuse("redis-sentinel://h:65536,h2/m", range);
    must_refuse("redis-sentinel://h2,h:/m", range);
}

static void hosts_that_are_none(void**) {
    must_refuse("redis://", "no host");
    must_refuse("redis://:6379", "no host");
    must_refuse("redis://[]:6379", "no host");
    must_refuse("redis://::1:6379", "IPv6 goes in [brackets]");
    must_refuse("redis://[::1", "no ']' after an IPv6 address");
    must_refuse("redis://[::1]6379", "expected ':PORT' after an IPv6 address's ']'");
    must_refuse("redis://[::1%eth0]", "is no IPv6 address");
    must_refuse("redis://h st", "is no host name or address");
    must_refuse("redis://h;rm", "is no host name or address");
    must_refuse("redis+unix://run/redis.sock", "expected an absolute socket path");
    must_refuse("redis+unix://", "expected an absolute socket path");
    must_refuse("redis+unix:///s?timeout=1", "the only option after the socket path is ?db=N");
}

static void sentinel_refusals(void**) {
    const std::string form = "expected redis-sentinel://HOST:PORT[,HOST:PORT...]/MASTERNAME";
    must_refuse("redis-sentinel://h:26379", form);  // no master name
    must_refuse("redis-sentinel://h:26379/", form);
    must_refuse("redis-sentinel://h//2", "no master name after the sentinels");
    must_refuse("redis-sentinel:///m", "no sentinel before the master name");
    must_refuse("redis-sentinel://h/ma ster", "the master name may hold");
    must_refuse("redis-sentinel://h/ma:ster", "the master name may hold");
    must_refuse("redis-sentinel://h1,h2,/m", "a ',' with no sentinel after it");  // trailing comma
    must_refuse("redis-sentinel://,h1/m", "no host");
    must_refuse("redis-sentinel://h1,,h2/m", "no host");
    std::string spec = "redis-sentinel://";
    for (int i = 0; i < 17; ++i) spec += (i ? "," : "") + std::string("s") + std::to_string(i);
    must_refuse(spec + "/m", "more than 16 sentinels");
    // Many more: refused the same, not read to the end.
    for (int i = 17; i < 1000; ++i) spec += ",s" + std::to_string(i);
    must_refuse(spec + "/m", "more than 16 sentinels");
}

static void control_characters(void**) {
    must_refuse("redis://ho\nst:6379", "is no host name or address");
    must_refuse(std::string("redis://h\0st", 12), "is no host name or address");
    must_refuse("redis://h:63\r79", "the port is no number");
    must_refuse("redis://[::1\t]", "is no IPv6 address");
    must_refuse("redis://h/1\n", "the database number is not one of");
    must_refuse("redis+unix:///run/re\x01" "dis.sock", "the socket path holds a control character");
    must_refuse("redis+unix:///run/redis.sock\n", "the socket path holds a control character");
    must_refuse("redis+unix:///run/re\x7f" "dis.sock", "control character");
    must_refuse("redis+unix:///run/re\xc2\x85" "dis.sock", "control character");  // NEL (C1)
    must_refuse("redis-sentinel://h/mas\tter", "the master name may hold");
    must_refuse("redis-sentinel://h\n/m", "is no host name or address");
}

// redis://:secret@host: a password has no place in httpd.conf (OTPStateStorePasswordFile);
// the refusal says so and never repeats it, nor anything else of the address.
static void passwords_in_the_address(void**) {
    for (const std::string spec :
         {"redis://:secret@host", "redis://:secret@host:6379/2", "redis://user:secret@host",
          "redis://secret@host", "redis://:secret@[::1]:6379", "redis://:secret@",
          "redis-sentinel://:secret@h1:26379,h2/master", "redis-sentinel://h1/m:secret@x",
          "redis://:s3cr3t%40secret@host"}) {
        const std::string error = must_refuse(spec, "OTPStateStorePasswordFile");
        EXPECT_CONTAINS(error, "password does not go in the address");
        if (contains(error, "secret") || contains(error, "host") || contains(error, "'")) {
            print_error("'%s': the refusal repeats the address: %s\n", spec.c_str(),
                        error.c_str());
            fail();
        }
    }
}

// The same protection for a password written as a query parameter, as other Redis clients'
// URLs allow ("redis://host:6379/0?password=...", "unix:///path?db=0&password=..."): the
// refusal must not repeat it in configtest output and the error log either. (Fails while the
// port, database and option refusals quote the text they refuse, query included.)
static void passwords_in_a_query(void**) {
    for (const std::string spec :
         {"redis://h:6379/0?password=hunter2secret", "redis://h:6379?password=hunter2secret",
          "redis+unix:///run/redis.sock?password=hunter2secret",
          "redis+unix:///run/redis.sock?db=0&password=hunter2secret",
          "redis-sentinel://h/m/0?password=hunter2secret"}) {
        std::string error;
        assert_false(parse_redis_address(spec, &error).has_value());
        assert_false(error.empty());
        if (contains(error, "hunter2secret")) {
            print_error("'%s': the refusal repeats the password: %s\n", spec.c_str(),
                        error.c_str());
            fail();
        }
    }
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tcp_forms),
        cmocka_unit_test(unix_forms),
        cmocka_unit_test(sentinel_forms),
        cmocka_unit_test(describe_round_trips),
        cmocka_unit_test(which_specs_are_redis),
        cmocka_unit_test(databases_out_of_range),
        cmocka_unit_test(ports_out_of_range),
        cmocka_unit_test(hosts_that_are_none),
        cmocka_unit_test(sentinel_refusals),
        cmocka_unit_test(control_characters),
        cmocka_unit_test(passwords_in_the_address),
        cmocka_unit_test(passwords_in_a_query),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
