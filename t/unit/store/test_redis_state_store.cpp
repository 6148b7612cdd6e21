// RedisStateStore against a real redis-server (t/unit/store/redis_server.h): every operation of
// the StateStore contract answers as MemoryStateStore does, with the TTLs really set on the
// server; prefixes, databases, AUTH, Unix sockets; and what an attacker or an outage does: a
// stopped, restarted or hung server (every operation fails closed within the timeout and the
// store recovers by itself), parallel callers (exact counts, no more guesses than the
// lockout), fork (a child never shares the parent's connection), SCRIPT FLUSH. Skipped, with
// the reason printed, when redis-server is not installed.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "login/login_limits.h"
#include "store/redis_address.h"
#include "store/redis_pool.h"
#include "store/redis_scripts.h"
#include "store/redis_state_store.h"
#include "store/state_store.h"
#include "test_support.h"
#include "redis_server.h"

using namespace otp;
using redis_test::RawRedis;
using redis_test::RawReply;
using redis_test::RedisServer;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr std::int64_t kNow = 1700000000;
// What an operation may take beyond OTPStateStoreTimeout before the test calls it a hang:
// scheduling on a loaded two-core machine, not a second timeout.
constexpr long long kMarginMs = 250;

// The server most tests share; flushed before each of them. Tests that stop, pause or
// restart a server, or need a password, start their own.
RedisServer* g_server = nullptr;

#define assert_status(expr, expected) \
    assert_int_equal(static_cast<int>(expr), static_cast<int>(StoreStatus::expected))

RedisSettings settings_for(const std::string& url, const std::string& prefix = "t:",
                           milliseconds timeout = milliseconds(5000),
                           const std::string& password = "") {
    std::string error;
    std::optional<RedisAddress> address = parse_redis_address(url, &error);
    if (!address) {
        print_error("%s: %s\n", url.c_str(), error.c_str());
        fail();
    }
    RedisSettings settings;
    settings.address = *address;
    settings.prefix = prefix;
    settings.timeout = timeout;
    settings.password = password;
    return settings;
}

long long ms_since(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

// Collects what the pool logs (it may log from any thread).
struct LogSink {
    std::mutex mutex;
    std::vector<std::string> lines;
    RedisPool::Logger logger() {
        return [this](RedisLogLevel, const std::string& line) {
            std::lock_guard<std::mutex> lock(mutex);
            lines.push_back(line);
        };
    }
    std::string all() {
        std::lock_guard<std::mutex> lock(mutex);
        std::string out;
        for (const std::string& l : lines) out += l + "\n";
        return out;
    }
};

// ---- answers as text, so that two stores' answers compare with one message ---------------

std::string text(StoreStatus s) {
    switch (s) {
        case StoreStatus::ok: return "ok";
        case StoreStatus::exists: return "exists";
        case StoreStatus::not_found: return "not_found";
        case StoreStatus::error: return "error";
        case StoreStatus::full: return "full";
    }
    return "?";
}
std::string text(const std::optional<std::int64_t>& n) {
    return n ? std::to_string(*n) : "nullopt";
}
std::string text(const std::optional<bool>& b) { return b ? (*b ? "true" : "false") : "nullopt"; }
std::string text(const GuardedCount& g) {
    switch (g.status) {
        case GuardedCount::Status::counted: return "counted " + std::to_string(g.count);
        case GuardedCount::Status::blocked: return "blocked '" + g.blocker + "'";
        case GuardedCount::Status::error: return "error";
    }
    return "?";
}
std::string get_text(StateStore& s, const std::string& key) {
    std::string value;
    const StoreStatus status = s.get(key, &value);
    return status == StoreStatus::ok ? "ok '" + value + "'" : text(status);
}

// Runs one step on the Redis store and on a MemoryStateStore and requires the same answer and
// the same last_failure().
class Twin {
public:
    Twin(StateStore& redis, StateStore& memory) : redis_(redis), memory_(memory) {}
    void same(const std::string& what, const std::function<std::string(StateStore&)>& step) {
        const std::string r = step(redis_);
        const std::string m = step(memory_);
        if (r != m || redis_.last_failure() != memory_.last_failure()) {
            print_error("%s: redis answered [%s] (last_failure %s), memory [%s] (%s)\n",
                        what.c_str(), r.c_str(), text(redis_.last_failure()).c_str(), m.c_str(),
                        text(memory_.last_failure()).c_str());
            fail();
        }
    }

private:
    StateStore& redis_;
    StateStore& memory_;
};

// Every operation once, each reporting whether it failed the way the contract says a failure
// looks (error, std::nullopt, GuardedCount error).
struct Operation {
    const char* name;
    std::function<bool(StateStore&)> failed;
};

std::vector<Operation> every_operation() {
    return {
        {"add", [](StateStore& s) { return s.add("op.add", "v", 60) == StoreStatus::error; }},
        {"increment", [](StateStore& s) { return !s.increment("op.n", 60).has_value(); }},
        {"decrement", [](StateStore& s) { return !s.decrement("op.n").has_value(); }},
        {"increment_unless",
         [](StateStore& s) {
             return s.increment_unless("op.g", 60, "op.lock").status ==
                    GuardedCount::Status::error;
         }},
        {"advance", [](StateStore& s) { return !s.advance("op.step", 7, 60).has_value(); }},
        {"compare_and_set",
         [](StateStore& s) {
             return s.compare_and_set("op.flow", "a", "b", 60) == StoreStatus::error;
         }},
        {"put", [](StateStore& s) { return s.put("op.put", "v", 60) == StoreStatus::error; }},
        {"get", [](StateStore& s) { return s.get("op.put", nullptr) == StoreStatus::error; }},
        {"remove", [](StateStore& s) { return s.remove("op.put") == StoreStatus::error; }},
    };
}

// Each operation on a fresh handle of `pool` must fail within timeout + margin, with
// last_failure() error and a reason naming `endpoint`. Returns the reasons.
std::vector<std::string> expect_every_operation_fails(RedisPool& pool, const std::string& endpoint,
                                                      const char* situation) {
    const long long bound = pool.settings().timeout.count() + kMarginMs;
    std::vector<std::string> reasons;
    for (const Operation& op : every_operation()) {
        RedisStateStore store(pool);
        const auto start = Clock::now();
        const bool failed = op.failed(store);
        const long long took = ms_since(start);
        if (!failed || store.last_failure() != StoreStatus::error || store.failures() != 1) {
            print_error("%s: %s did not fail closed (failed %d, last_failure %s, failures %u)\n",
                        situation, op.name, failed, text(store.last_failure()).c_str(),
                        store.failures());
            fail();
        }
        if (took > bound) {
            print_error("%s: %s took %lld ms (timeout %lld ms)\n", situation, op.name, took,
                        static_cast<long long>(pool.settings().timeout.count()));
            fail();
        }
        if (!contains(store.failure_reason(), endpoint)) {
            print_error("%s: %s: the reason [%s] does not name %s\n", situation, op.name,
                        store.failure_reason().c_str(), endpoint.c_str());
            fail();
        }
        reasons.push_back(store.failure_reason());
    }
    return reasons;
}

// Retries `op` until it succeeds or `limit` passes; the time it took, or -1.
long long ms_until_success(const std::function<bool()>& op, milliseconds limit) {
    const auto start = Clock::now();
    while (Clock::now() - start < limit) {
        if (op()) return ms_since(start);
        std::this_thread::sleep_for(milliseconds(10));
    }
    return -1;
}

// The connection id (CLIENT ID) of the connection the pool lends next.
long long lent_client_id(RedisPool& pool) {
    std::string error;
    std::optional<RedisPool::Lease> lease = pool.acquire(Deadline(milliseconds(2000)), &error);
    if (!lease) return -1;
    RedisReply reply = lease->connection().command({"CLIENT", "ID"}, Deadline(milliseconds(2000)),
                                                   &error);
    return reply && reply.is_integer() ? reply.integer() : -1;
}

}  // namespace

// ---- fixtures --------------------------------------------------------------------------

static int start_shared_server(void**) {
    g_server = new RedisServer();
    return 0;
}

static int stop_shared_server(void**) {
    delete g_server;
    g_server = nullptr;
    redis_test::stop_all_redis_servers();
    return 0;
}

static int flush_shared_server(void**) {
    RawRedis raw(*g_server);
    raw.must_ok({"FLUSHALL"});
    raw.must_ok({"SCRIPT", "FLUSH"});
    return 0;
}

// After each test: whatever a failed assertion left running (its RedisServer's destructor
// skipped by cmocka's longjmp) is stopped; the shared server stays.
static int stop_leftover_servers(void**) {
    redis_test::stop_all_redis_servers(g_server);
    return 0;
}

// ---- the contract, step by step against MemoryStateStore -------------------------------

static void contract_matches_memory_store(void**) {
    RedisPool pool(settings_for(g_server->url()));
    RedisStateStore redis(pool);
    MemoryStateStore memory;
    memory.set_now(kNow);
    Twin both(redis, memory);
    auto add = [](const std::string& k, const std::string& v) {
        return [=](StateStore& s) { return text(s.add(k, v, 60)); };
    };
    auto put = [](const std::string& k, const std::string& v) {
        return [=](StateStore& s) { return text(s.put(k, v, 60)); };
    };
    auto get = [](const std::string& k) { return [=](StateStore& s) { return get_text(s, k); }; };
    auto remove = [](const std::string& k) {
        return [=](StateStore& s) { return text(s.remove(k)); };
    };
    auto inc = [](const std::string& k) {
        return [=](StateStore& s) { return text(s.increment(k, 60)); };
    };
    auto dec = [](const std::string& k) {
        return [=](StateStore& s) { return text(s.decrement(k)); };
    };
    auto unless = [](const std::string& k, const std::string& b) {
        return [=](StateStore& s) { return text(s.increment_unless(k, 60, b)); };
    };
    auto advance = [](const std::string& k, std::uint64_t v) {
        return [=](StateStore& s) { return text(s.advance(k, v, 60)); };
    };
    auto cas = [](const std::string& k, const std::string& e, const std::string& d) {
        return [=](StateStore& s) { return text(s.compare_and_set(k, e, d, 60)); };
    };

    // add is if-absent; put replaces; remove deletes once.
    both.same("add a", add("a", "v1"));
    both.same("add a again", add("a", "v2"));
    both.same("get a", get("a"));
    both.same("put a", put("a", "v3"));
    both.same("get a after put", get("a"));
    both.same("remove a", remove("a"));
    both.same("remove a again", remove("a"));
    both.same("get a removed", get("a"));
    both.same("get never written", get("nothing"));
    both.same("add after remove", add("a", "v4"));
    both.same("empty value", put("empty", ""));
    both.same("get empty value", get("empty"));
    both.same("empty key", add("", "x"));
    both.same("get empty key", get(""));

    // Counters: from 1, never below 0, a missing one stays missing.
    for (int i = 0; i < 3; ++i) both.same("increment c", inc("c"));
    for (int i = 0; i < 4; ++i) both.same("decrement c", dec("c"));
    both.same("get c at 0", get("c"));
    both.same("increment c from 0", inc("c"));
    both.same("decrement missing", dec("missing"));
    both.same("missing stays missing", get("missing"));
    both.same("put negative", put("neg", "-3"));
    both.same("decrement negative", dec("neg"));
    both.same("negative became 0", get("neg"));

    // increment_unless: counted without a blocker, blocked (with its value) by one.
    both.same("unless counted 1", unless("g", "blk"));
    both.same("unless counted 2", unless("g", "blk"));
    both.same("add blocker", add("blk", "until 1700000900"));
    both.same("unless blocked", unless("g", "blk"));
    both.same("blocked counted nothing", get("g"));
    both.same("blocked never creates", unless("fresh", "blk"));
    both.same("fresh not created", get("fresh"));
    both.same("remove blocker", remove("blk"));
    both.same("unless counted 3", unless("g", "blk"));

    // advance: only forward, exact above 2^53 and up to INT64_MAX.
    const std::uint64_t p53 = std::uint64_t{1} << 53;
    const auto i64max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    for (std::uint64_t v : {std::uint64_t{50}, std::uint64_t{50}, std::uint64_t{49},
                            std::uint64_t{51}, std::uint64_t{0}, p53, p53, p53 + 1, p53,
                            p53 + 1, p53 + 2, i64max - 1, i64max, i64max - 1, i64max})
        both.same("advance s " + std::to_string(v), advance("s", v));
    both.same("get s", get("s"));
    both.same("advance from 0", advance("zero", 0));
    both.same("advance 0 again", advance("zero", 0));

    // compare_and_set: not_found, exists, ok, once.
    both.same("cas missing", cas("flow", "init", "coupled"));
    both.same("put flow", put("flow", "init"));
    both.same("cas other", cas("flow", "other", "coupled"));
    both.same("cas init", cas("flow", "init", "coupled"));
    both.same("cas init again", cas("flow", "init", "coupled"));
    both.same("get flow", get("flow"));

    // A record that is no counter is refused by the counting operations and left alone.
    both.same("put text", put("text", "abc"));
    both.same("increment text", inc("text"));
    both.same("decrement text", dec("text"));
    both.same("unless text", unless("text", "no-blocker"));
    both.same("advance text", advance("text", 5));
    both.same("text unchanged", get("text"));
    both.same("a good step after a refusal", inc("c"));

    // Keys and values are bytes: protocol text, NUL, CR LF and glob characters are data.
    const std::string nasty_key = std::string("k\0\r\n*3\r\n$3\r\nDEL\r\n*?[a]", 22);
    const std::string nasty_value = std::string("\0\xff\r\n$-1\r\n+OK\r\n", 15);
    both.same("put bytes", put(nasty_key, nasty_value));
    both.same("get bytes", get(nasty_key));
    both.same("glob is no pattern", get("k*"));
    both.same("cas bytes", cas(nasty_key, nasty_value, "plain"));
    both.same("get after cas", get(nasty_key));
}

// ---- TTLs on the server ------------------------------------------------------------------

static void ttls_are_set_on_the_server(void**) {
    RedisPool pool(settings_for(g_server->url()));
    RedisStateStore store(pool);
    RawRedis raw(*g_server);
    auto pttl = [&](const std::string& key) { return raw.integer({"PTTL", "t:" + key}); };
    auto in = [](long long v, long long lo, long long hi) { return v >= lo && v <= hi; };

    assert_status(store.add("a", "v", 100), ok);
    assert_true(in(pttl("a"), 95000, 100000));
    assert_status(store.add("a", "w", 5000), exists);  // a refused add changes nothing
    assert_true(in(pttl("a"), 95000, 100000));

    assert_status(store.put("p", "v", 200), ok);
    assert_true(in(pttl("p"), 195000, 200000));
    assert_status(store.put("p", "w", 30), ok);  // put replaces the expiry too
    assert_true(in(pttl("p"), 25000, 30000));

    assert_int_equal(*store.increment("n", 60), 1);
    assert_true(in(pttl("n"), 55000, 60000));
    assert_int_equal(*store.increment("n", 3600), 2);  // keeps the first expiry
    assert_true(in(pttl("n"), 55000, 60000));
    assert_int_equal(*store.decrement("n"), 1);  // so does giving a guess back
    assert_true(in(pttl("n"), 55000, 60000));

    GuardedCount g = store.increment_unless("g", 40, "g.lock");
    assert_int_equal(static_cast<int>(g.status), static_cast<int>(GuardedCount::Status::counted));
    assert_true(in(pttl("g"), 35000, 40000));
    g = store.increment_unless("g", 4000, "g.lock");
    assert_int_equal(g.count, 2);
    assert_true(in(pttl("g"), 35000, 40000));

    assert_true(*store.advance("s", 10, 90));
    assert_true(in(pttl("s"), 85000, 90000));
    assert_false(*store.advance("s", 9, 5000));  // a refused step leaves the record alone
    assert_true(in(pttl("s"), 85000, 90000));
    assert_true(*store.advance("s", 11, 20));  // a stored step lives from now
    assert_true(in(pttl("s"), 15000, 20000));

    assert_status(store.put("f", "init", 600), ok);
    assert_status(store.compare_and_set("f", "other", "x", 10), exists);
    assert_true(in(pttl("f"), 595000, 600000));
    assert_status(store.compare_and_set("f", "init", "coupled", 120), ok);
    assert_true(in(pttl("f"), 115000, 120000));

    // A counter that is somehow below 0 becomes 0 and keeps its window.
    raw.must_ok({"SET", "t:neg", "-4", "EX", "70"});
    assert_int_equal(*store.decrement("neg"), 0);
    assert_string_equal(raw.get("t:neg").c_str(), "0");
    assert_true(in(pttl("neg"), 65000, 70000));

    // A counter somebody left without an expiry gets one when it is counted.
    raw.must_ok({"SET", "t:forever", "3"});
    assert_int_equal(*store.increment("forever", 50), 4);
    assert_true(in(pttl("forever"), 45000, 50000));

    // decrement never creates, increment_unless blocked never creates.
    assert_int_equal(*store.decrement("nothing"), 0);
    assert_int_equal(raw.integer({"EXISTS", "t:nothing"}), 0);
    assert_status(store.put("g2.lock", "until", 60), ok);
    g = store.increment_unless("g2", 60, "g2.lock");
    assert_int_equal(static_cast<int>(g.status), static_cast<int>(GuardedCount::Status::blocked));
    assert_string_equal(g.blocker.c_str(), "until");
    assert_int_equal(raw.integer({"EXISTS", "t:g2"}), 0);

    // No key without an expiry: every record ends by itself.
    for (const std::string& key : raw.all_keys())
        if (raw.integer({"PTTL", key}) < 0) {
            print_error("%s has no expiry\n", key.c_str());
            fail();
        }
}

// Records really expire on the server: an expired entry no longer blocks add, an expired
// counter counts from 1 again, an expired step lets any step in, an expired lock blocks nothing.
static void expired_records_are_gone(void**) {
    RedisPool pool(settings_for(g_server->url()));
    RedisStateStore store(pool);
    RawRedis raw(*g_server);
    assert_status(store.add("a", "v1", 60), ok);
    assert_int_equal(*store.increment("n", 60), 1);
    assert_int_equal(*store.increment("n", 60), 2);
    assert_true(*store.advance("s", 1000, 60));
    assert_status(store.put("lock", "until", 60), ok);
    assert_status(store.put("flow", "init", 60), ok);
    for (const char* key : {"t:a", "t:n", "t:s", "t:lock", "t:flow"})
        assert_int_equal(raw.integer({"PEXPIRE", key, "1"}), 1);
    std::this_thread::sleep_for(milliseconds(20));
    assert_status(store.add("a", "v2", 60), ok);
    assert_int_equal(*store.increment("n", 60), 1);
    assert_true(*store.advance("s", 5, 60));
    GuardedCount g = store.increment_unless("g", 60, "lock");
    assert_int_equal(static_cast<int>(g.status), static_cast<int>(GuardedCount::Status::counted));
    assert_status(store.compare_and_set("flow", "init", "x", 60), not_found);
    assert_int_equal(*store.decrement("n"), 0);
}

// Replay protection with numbers a double cannot hold (above 2^53) and 20-digit values up to
// UINT64_MAX: compared exactly, stored exactly.
static void advance_is_exact_for_large_numbers(void**) {
    RedisPool pool(settings_for(g_server->url()));
    RedisStateStore store(pool);
    RawRedis raw(*g_server);
    const std::uint64_t p53 = std::uint64_t{1} << 53;
    assert_true(*store.advance("s", p53, 60));
    assert_true(*store.advance("s", p53 + 1, 60));  // equal to p53 as a double
    assert_false(*store.advance("s", p53, 60));
    assert_false(*store.advance("s", p53 + 1, 60));
    assert_string_equal(raw.get("t:s").c_str(), "9007199254740993");

    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    assert_true(*store.advance("big", 9999999999999999999ull, 60));  // 19 digits
    assert_true(*store.advance("big", 10000000000000000000ull, 60));  // 20 digits
    assert_false(*store.advance("big", 9999999999999999999ull, 60));
    assert_false(*store.advance("big", 999, 60));  // fewer digits, "larger" as text
    assert_true(*store.advance("big", max - 1, 60));
    assert_false(*store.advance("big", 10000000000000000000ull, 60));
    assert_true(*store.advance("big", max, 60));
    assert_false(*store.advance("big", max, 60));
    assert_false(*store.advance("big", max - 1, 60));
    assert_string_equal(raw.get("t:big").c_str(), "18446744073709551615");
    assert_true(*store.advance("zero", 0, 60));
    assert_false(*store.advance("zero", 0, 60));
    assert_true(*store.advance("zero", max, 60));
}

// The same 20-digit steps on MemoryStateStore: the contract (state_store.h: std::uint64_t
// values, "stores only if ... the stored number is smaller") is the same for every store.
// (Fails while KeyValueStateStore::advance reads the stored value as std::int64_t: a stored
// value above INT64_MAX makes every later advance of that key an error.)
static void memory_store_agrees_on_20_digit_steps(void**) {
    RedisPool pool(settings_for(g_server->url()));
    RedisStateStore redis(pool);
    MemoryStateStore memory;
    memory.set_now(kNow);
    Twin both(redis, memory);
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t e19 = 10000000000000000000ull;
    for (std::uint64_t v : {e19, max - 1, e19, max, max, std::uint64_t{5}})
        both.same("advance " + std::to_string(v),
                  [v](StateStore& s) { return text(s.advance("s", v, 60)); });
}

// ---- keys ---------------------------------------------------------------------------------

// Every key starts with OTPStateStorePrefix, and two sites with their own prefixes on one
// Redis never see each other's records, the scripts' keys included.
static void prefixes_separate_sites(void**) {
    RedisPool pool_a(settings_for(g_server->url(), "siteA:"));
    RedisPool pool_b(settings_for(g_server->url(), "siteB:"));
    RedisStateStore a(pool_a), b(pool_b);
    RawRedis raw(*g_server);

    assert_status(a.put("k", "from a", 60), ok);
    assert_status(b.get("k", nullptr), not_found);
    assert_status(b.add("k", "from b", 60), ok);
    std::string value;
    assert_status(a.get("k", &value), ok);
    assert_string_equal(value.c_str(), "from a");
    assert_int_equal(*a.increment("n", 60), 1);
    assert_int_equal(*a.increment("n", 60), 2);
    assert_int_equal(*b.increment("n", 60), 1);
    assert_int_equal(*b.decrement("n"), 0);
    assert_int_equal(*a.decrement("n"), 1);
    // A's lock blocks nothing of B's.
    assert_status(a.put("lock", "until", 60), ok);
    assert_int_equal(static_cast<int>(a.increment_unless("g", 60, "lock").status),
                     static_cast<int>(GuardedCount::Status::blocked));
    assert_int_equal(static_cast<int>(b.increment_unless("g", 60, "lock").status),
                     static_cast<int>(GuardedCount::Status::counted));
    assert_true(*a.advance("s", 10, 60));
    assert_true(*b.advance("s", 5, 60));
    assert_status(a.put("flow", "init", 60), ok);
    assert_status(b.compare_and_set("flow", "init", "x", 60), not_found);
    assert_status(b.remove("k"), ok);
    assert_status(a.get("k", nullptr), ok);

    const std::vector<std::string> expected = {"siteA:flow", "siteA:k",  "siteA:lock",
                                               "siteA:n",    "siteA:s",  "siteB:g",
                                               "siteB:n",    "siteB:s"};
    const std::vector<std::string> keys = raw.all_keys();
    if (keys != expected) {
        std::string listing;
        for (const std::string& k : keys) listing += k + " ";
        print_error("keys on the server: %s\n", listing.c_str());
        fail();
    }
}

// OTPStateStore redis://host:port/3: every record goes into database 3, none into 0.
static void database_is_selected(void**) {
    RedisPool pool(settings_for(g_server->url(3)));
    RedisStateStore store(pool);
    assert_status(store.put("k", "in three", 60), ok);
    assert_int_equal(*store.increment("n", 60), 1);
    assert_true(*store.advance("s", 4, 60));
    RawRedis db3(*g_server, 3), db0(*g_server, 0);
    assert_string_equal(db3.get("t:k").c_str(), "in three");
    assert_string_equal(db3.get("t:n").c_str(), "1");
    assert_string_equal(db3.get("t:s").c_str(), "4");
    assert_int_equal(db0.integer({"DBSIZE"}), 0);
    assert_int_equal(db3.integer({"DBSIZE"}), 3);
}

// redis+unix:///path?db=2 reaches the same server through its socket, into database 2.
static void unix_socket_with_database(void**) {
    RedisServer::Options options;
    options.unix_socket = true;
    RedisServer server(options);
    RedisPool pool(settings_for(server.unix_url(2)));
    RedisStateStore store(pool);
    assert_status(store.put("k", "by socket", 60), ok);
    assert_int_equal(*store.increment("n", 60), 1);
    RawRedis db2(server, 2);
    assert_string_equal(db2.get("t:k").c_str(), "by socket");
    assert_int_equal(RawRedis(server, 0).integer({"DBSIZE"}), 0);
    // A stopped server: the reason names the socket.
    server.stop();
    expect_every_operation_fails(pool, "unix:" + server.unix_path(), "socket server stopped");
}

// ---- scripts ------------------------------------------------------------------------------

// The scripts go by EVALSHA with the SHA-1 the server computes itself; after SCRIPT FLUSH (a
// restart, a failover to a server that never saw them) NOSCRIPT is answered by EVAL, and the
// operation succeeds with the right answer.
static void scripts_survive_script_flush(void**) {
    RedisPool pool(settings_for(g_server->url()));
    RedisStateStore store(pool);
    RawRedis raw(*g_server);
    const std::vector<const RedisScript*> scripts = {
        &redis_increment_script(), &redis_decrement_script(), &redis_increment_unless_script(),
        &redis_advance_script(), &redis_compare_and_set_script(), &redis_count_guess_script()};
    for (const RedisScript* script : scripts) {
        const RawReply loaded = raw.command({"SCRIPT", "LOAD", script->body});
        assert_int_equal(loaded.type, REDIS_REPLY_STRING);
        EXPECT_STR_EQ(loaded.str, script->sha1);
    }
    GuessCountRequest guess;
    GuessCounter counter;
    counter.key = "gc";
    counter.ttl = 60;
    counter.limit = 10;
    guess.counters.push_back(counter);
    auto every_script = [&](int round) {
        assert_int_equal(*store.increment("n", 60), round);
        assert_int_equal(*store.increment("n", 60), round + 1);
        assert_int_equal(*store.decrement("n"), round);
        const GuardedCount g = store.increment_unless("g", 60, "lock");
        assert_int_equal(static_cast<int>(g.status),
                         static_cast<int>(GuardedCount::Status::counted));
        assert_int_equal(g.count, round);
        assert_true(*store.advance("s", static_cast<std::uint64_t>(round), 60));
        assert_status(store.put("f", "state" + std::to_string(round), 60), ok);
        assert_status(store.compare_and_set("f", "state" + std::to_string(round), "next", 60), ok);
        const GuessCountAnswer a = store.count_guess(guess);
        assert_int_equal(static_cast<int>(a.status),
                         static_cast<int>(GuessCountAnswer::Status::counted));
        assert_int_equal(a.counts.size(), 1);
        assert_int_equal(a.counts[0], round);
    };
    every_script(1);
    raw.must_ok({"SCRIPT", "FLUSH"});
    for (const RedisScript* script : scripts) {
        const RawReply known = raw.command({"SCRIPT", "EXISTS", script->sha1});
        assert_int_equal(known.elements.size(), 1);
        assert_int_equal(known.elements[0].integer, 0);
    }
    every_script(2);  // each script: NOSCRIPT, then EVAL
    for (const RedisScript* script : scripts) {
        const RawReply known = raw.command({"SCRIPT", "EXISTS", script->sha1});
        assert_int_equal(known.elements[0].integer, 1);  // EVAL loaded it again
    }
    // Once loaded, one operation is one EVALSHA: no EVAL, no second round trip.
    raw.must_ok({"CONFIG", "RESETSTAT"});
    every_script(3);
    const RawReply info = raw.command({"INFO", "commandstats"});
    EXPECT_CONTAINS(info.str, "cmdstat_evalsha:calls=7,");
    if (contains(info.str, "cmdstat_eval:")) {
        print_error("EVAL used although the scripts were loaded:\n%s\n", info.str.c_str());
        fail();
    }
}

// ---- AUTH -----------------------------------------------------------------------------

static void auth_with_the_right_password(void**) {
    RedisServer::Options options;
    options.password = "correct horse battery staple 7";
    RedisServer server(options);
    LogSink log;
    RedisPool pool(settings_for(server.url(), "t:", milliseconds(2000), options.password),
                   log.logger());
    RedisStateStore store(pool);
    assert_status(store.put("k", "v", 60), ok);
    assert_int_equal(*store.increment("n", 60), 1);
    RawRedis raw(server);
    assert_string_equal(raw.get("t:k").c_str(), "v");
    assert_false(contains(log.all(), options.password));
}

// A wrong password fails closed, every operation, with a reason that says AUTH and never
// holds the password (neither the wrong one sent nor the right one).
static void auth_with_a_wrong_password_fails_closed(void**) {
    RedisServer::Options options;
    options.password = "the-right-password-41";
    RedisServer server(options);
    const std::string wrong = "Tr0ub4dor-and-3-wrong";
    LogSink log;
    RedisPool pool(settings_for(server.url(), "t:", milliseconds(500), wrong), log.logger());
    const std::vector<std::string> reasons =
        expect_every_operation_fails(pool, server.endpoint(), "wrong password");
    for (const std::string& reason : reasons) {
        EXPECT_CONTAINS(reason, "AUTH");
        assert_false(contains(reason, wrong));
        assert_false(contains(reason, options.password));
    }
    EXPECT_CONTAINS(reasons[0], "AUTH refused");
    assert_false(contains(log.all(), wrong));
    // Nothing was written.
    RawRedis raw(server);
    assert_int_equal(raw.integer({"DBSIZE"}), 0);

    // No password at all, to a server that wants one: fails closed too (NOAUTH).
    RedisPool no_password(settings_for(server.url(), "t:", milliseconds(500)));
    const std::vector<std::string> refused =
        expect_every_operation_fails(no_password, server.endpoint(), "no password");
    for (const std::string& reason : refused) EXPECT_CONTAINS(reason, "AUTH");
    assert_int_equal(raw.integer({"DBSIZE"}), 0);
}

// ---- outages ------------------------------------------------------------------------------

// Redis stopped: every operation fails closed at once (connection refused, then the backoff),
// naming the server; started again on the same port, the store reconnects by itself within
// the backoff, and the server is really a new one (no persistence: the records are gone).
static void stopped_server_fails_closed_and_recovers(void**) {
    RedisServer server;
    LogSink log;
    RedisPool pool(settings_for(server.url(), "t:", milliseconds(300)), log.logger());
    RedisStateStore store(pool);
    assert_status(store.put("k", "before", 600), ok);  // an idle connection in the pool

    server.stop();
    const auto failed_at = Clock::now();
    const std::vector<std::string> reasons =
        expect_every_operation_fails(pool, server.endpoint(), "server stopped");
    EXPECT_CONTAINS(reasons[0], "cannot connect");
    // Within the backoff the pool does not even try (one fast refusal per request).
    if (ms_since(failed_at) < 80) EXPECT_CONTAINS(reasons[1], "not connecting again");
    EXPECT_CONTAINS(log.all(), "state store unavailable: redis " + server.endpoint());

    // A few more refusals while it is down double the backoff; then it comes back.
    std::this_thread::sleep_for(milliseconds(120));
    expect_every_operation_fails(pool, server.endpoint(), "still stopped");
    assert_true(server.start());
    const long long took = ms_until_success(
        [&] {
            RedisStateStore s(pool);
            return s.put("k2", "after", 60) == StoreStatus::ok;
        },
        RedisPool::kMaxBackoff + milliseconds(1000));
    if (took < 0) {
        print_error("the store did not reconnect within %lld ms\n",
                    static_cast<long long>((RedisPool::kMaxBackoff + milliseconds(1000)).count()));
        fail();
    }
    assert_true(took <= RedisPool::kMaxBackoff.count() + kMarginMs);
    RedisStateStore after(pool);
    assert_status(after.get("k", nullptr), not_found);  // a new server
    assert_int_equal(*after.increment("n", 60), 1);
    assert_int_equal(after.failures(), 0);
    EXPECT_CONTAINS(log.all(), "state store connected again: redis " + server.endpoint());
}

// A restart while the pool's connections sit idle: the server closed them, and the first
// operation afterwards must not be handed one of them (RedisConnection::peer_closed in
// RedisPool::acquire). Regression test: without that check the first operation fails.
static void restart_costs_no_operation(void**) {
    RedisServer server;
    RedisPool pool(settings_for(server.url(), "t:", milliseconds(500)));
    {
        // Three idle connections.
        std::string error;
        std::vector<RedisPool::Lease> leases;
        for (int i = 0; i < 3; ++i) {
            std::optional<RedisPool::Lease> lease =
                pool.acquire(Deadline(milliseconds(2000)), &error);
            assert_true(lease.has_value());
            leases.push_back(std::move(*lease));
        }
    }
    RedisStateStore before(pool);
    assert_int_equal(*before.increment("n", 60), 1);

    server.stop();
    assert_true(server.start());
    // Every kind of operation, each the first on its handle, none may fail.
    for (const Operation& op : every_operation()) {
        RedisStateStore store(pool);
        if (op.failed(store) || store.failures() != 0) {
            print_error("%s after the restart failed: %s\n", op.name,
                        store.failure_reason().c_str());
            fail();
        }
    }
    RawRedis raw(server);
    assert_string_equal(raw.get("t:op.n").c_str(), "0");  // increment, then decrement
}

// A hung server (SIGSTOP: the kernel still accepts connections, nothing answers): every
// operation fails within the timeout, on an idle connection and on a new one; never a hang.
// Resumed, the store works again by itself.
static void hung_server_fails_within_the_timeout(void**) {
    RedisServer server;
    RedisPool pool(settings_for(server.url(), "t:", milliseconds(200)));
    RedisStateStore store(pool);
    assert_status(store.put("k", "v", 600), ok);  // an idle connection

    server.pause();
    const std::vector<std::string> reasons =
        expect_every_operation_fails(pool, server.endpoint(), "server hung");
    EXPECT_CONTAINS(reasons[0], "no answer within the timeout");
    // Past the backoff: a new connection (accepted by the kernel) and again no answer.
    std::this_thread::sleep_for(RedisPool::kFirstBackoff + milliseconds(20));
    expect_every_operation_fails(pool, server.endpoint(), "server still hung");
    // Many threads at once against the hung server, past the backoff again (now 200 ms): each
    // opens a connection of its own, and each gives up in time.
    std::this_thread::sleep_for(2 * RedisPool::kFirstBackoff + milliseconds(30));
    std::atomic<long long> slowest{0};
    std::atomic<int> succeeded{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            RedisStateStore s(pool);
            const auto start = Clock::now();
            if (s.increment("hung", 60)) ++succeeded;
            const long long took = ms_since(start);
            long long seen = slowest.load();
            while (took > seen && !slowest.compare_exchange_weak(seen, took)) {
            }
        });
    for (std::thread& t : threads) t.join();
    assert_int_equal(succeeded.load(), 0);
    assert_true(slowest.load() <= 200 + kMarginMs);

    server.resume();
    const long long took = ms_until_success(
        [&] {
            RedisStateStore s(pool);
            std::string value;
            return s.get("k", &value) == StoreStatus::ok && value == "v";
        },
        RedisPool::kMaxBackoff + milliseconds(1000));
    // Each connection that timed out doubled the backoff: back within its maximum (2 s).
    assert_true(took >= 0 && took <= RedisPool::kMaxBackoff.count() + kMarginMs);
}

// ---- concurrency --------------------------------------------------------------------------

// 32 threads counting on one pool (16 connections at most): every value once, none lost.
static void parallel_increments_are_exact(void**) {
    RedisPool pool(settings_for(g_server->url()));
    constexpr int kThreads = 32, kPerThread = 100;
    std::vector<std::vector<std::int64_t>> seen(kThreads);
    std::atomic<int> failures{0};
    std::atomic<int> add_wins{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                RedisStateStore store(pool);  // a handle per request
                const std::optional<std::int64_t> n = store.increment("c", 600);
                if (n)
                    seen[static_cast<std::size_t>(t)].push_back(*n);
                else
                    ++failures;
            }
            RedisStateStore store(pool);
            if (store.add("once", std::to_string(t), 600) == StoreStatus::ok) ++add_wins;
        });
    for (std::thread& t : threads) t.join();
    assert_int_equal(failures.load(), 0);
    assert_int_equal(add_wins.load(), 1);
    std::vector<bool> hit(kThreads * kPerThread + 1, false);
    for (const auto& values : seen)
        for (std::int64_t v : values) {
            assert_true(v >= 1 && v <= kThreads * kPerThread);
            assert_false(hit[static_cast<std::size_t>(v)]);
            hit[static_cast<std::size_t>(v)] = true;
        }
    RawRedis raw(*g_server);
    assert_string_equal(raw.get("t:c").c_str(), std::to_string(kThreads * kPerThread).c_str());
    // At most max_connections (16) connections of this process ran the scripts.
    const RawReply clients = raw.command({"CLIENT", "LIST"});
    std::size_t ours = 0;
    for (std::size_t at = clients.str.find("cmd=evalsha"); at != std::string::npos;
         at = clients.str.find("cmd=evalsha", at + 1))
        ++ours;
    if (ours < 1 || ours > pool.settings().max_connections) {
        print_error("%zu connections ran the scripts:\n%s\n", ours, clients.str.c_str());
        fail();
    }
}

// 50 threads guessing for one user at once, each guess a replay (given back once compared):
// no more than lockout_failures guesses are ever being compared at a time, and afterwards
// the user's (and the address's) counters are back at 0, nothing locked.
static void login_limits_parallel_replays_leave_no_count(void**) {
    RedisPool pool(settings_for(g_server->url(), "otp:", milliseconds(5000)));
    LimitPolicy policy;
    policy.lockout_failures = 5;
    policy.address_failures = 20;
    constexpr int kThreads = 50, kRounds = 4;
    std::atomic<int> in_flight{0}, most_in_flight{0}, admitted{0}, store_errors{0}, other{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int round = 0; round < kRounds; ++round) {
                RedisStateStore store(pool);  // a handle per request
                LoginLimits limits(store, policy, "/etc/otp/users");
                const Admission a = limits.admit(nullptr, "carol", "203.0.113.9", kNow);
                if (a.verdict == GateVerdict::store_error) {
                    ++store_errors;
                    continue;
                }
                if (a.verdict != GateVerdict::proceed) {
                    if (a.verdict != GateVerdict::locked && a.verdict != GateVerdict::address_locked)
                        ++other;
                    continue;
                }
                ++admitted;
                const int now_in = ++in_flight;
                int seen = most_in_flight.load();
                while (now_in > seen && !most_in_flight.compare_exchange_weak(seen, now_in)) {
                }
                std::this_thread::yield();  // the comparison
                --in_flight;
                if (!limits.record_replay("carol", "203.0.113.9", a).store_ok) ++store_errors;
            }
        });
    for (std::thread& t : threads) t.join();
    assert_int_equal(store_errors.load(), 0);
    assert_int_equal(other.load(), 0);
    assert_true(admitted.load() >= 1);
    if (most_in_flight.load() > 5) {
        print_error("%d guesses were compared at once (lockout_failures 5)\n",
                    most_in_flight.load());
        fail();
    }
    RedisStateStore store(pool);
    LoginLimits limits(store, policy, "/etc/otp/users");
    RawRedis raw(*g_server);
    const std::string user = "otp:" + record_key(limits.user_key("carol"), "guesses");
    const std::string address = "otp:" + record_key(limits.address_key("203.0.113.9"),
                                                    "addr-guesses");
    const std::string user_count = raw.get(user);
    const std::string address_count = raw.get(address);
    if (user_count != "0" || address_count != "0") {
        print_error("after %d admitted replays: user guesses %s, address guesses %s\n",
                    admitted.load(), user_count.c_str(), address_count.c_str());
        fail();
    }
    assert_int_equal(raw.integer({"EXISTS", "otp:" + record_key(limits.user_key("carol"), "lock")}),
                     0);
    // And the user can log in: the next guess is the first.
    const Admission next = limits.admit(nullptr, "carol", "203.0.113.9", kNow);
    assert_int_equal(static_cast<int>(next.verdict), static_cast<int>(GateVerdict::proceed));
    assert_int_equal(next.user_guesses, 1);
}

// What LoginLimits stores in Redis holds no user name (nor the client address): keys are
// hashes, values are numbers; through failures, a lockout, sends, a success.
static void login_limits_store_no_user_names(void**) {
    RedisPool pool(settings_for(g_server->url(), "otp:"));
    RedisStateStore store(pool);
    LimitPolicy policy;
    policy.lockout_failures = 3;
    LoginLimits limits(store, policy, "/etc/otp/users");
    const std::string user = "alice.wonderland";
    const std::string other = "bob.builder";
    const std::string address = "198.51.100.23";
    LoginAttempt attempt = *limits.create_attempt(user, "/app/", kNow);
    for (int i = 0; i < 3; ++i) {
        const Admission a = limits.admit(i == 0 ? &attempt : nullptr, user, address, kNow);
        assert_int_equal(static_cast<int>(a.verdict), static_cast<int>(GateVerdict::proceed));
        const FailureOutcome f = limits.record_failure(user, address, a, kNow);
        assert_true(f.store_ok);
        if (i == 2) assert_true(f.user_locked);
    }
    assert_int_equal(static_cast<int>(limits.admit(nullptr, user, address, kNow).verdict),
                     static_cast<int>(GateVerdict::locked));
    bool store_error = false;
    assert_true(limits.sessions_revoked_at(user, &store_error).has_value());
    assert_false(store_error);
    LoginAttempt second = *limits.create_attempt(other, "/", kNow);
    assert_int_equal(static_cast<int>(limits.admit_send(&second, other, address, kNow).verdict),
                     static_cast<int>(SendAdmission::Verdict::send));
    const Admission ok = limits.admit(&second, other, address, kNow);
    assert_int_equal(static_cast<int>(ok.verdict), static_cast<int>(GateVerdict::proceed));
    assert_true(limits.record_success(&second, other, address, ok));

    RawRedis raw(*g_server);
    const std::vector<std::string> keys = raw.all_keys();
    assert_true(keys.size() >= 5);
    for (const std::string& key : keys) {
        const std::string value = raw.get(key);
        for (const std::string& secret : {user, std::string("alice"), std::string("wonderland"),
                                          other, std::string("bob"), address}) {
            if (contains(key, secret) || contains(value, secret)) {
                print_error("the store holds '%s': key [%s] value [%s]\n", secret.c_str(),
                            key.c_str(), value.c_str());
                fail();
            }
        }
        assert_true(key.compare(0, 4, "otp:") == 0);
    }
}

// ---- fork ---------------------------------------------------------------------------------

// A prefork child uses the pool it inherited: it must open its own connection (two processes
// on one socket would read each other's answers), and the parent's stays usable.
static void fork_child_opens_its_own_connection(void**) {
    RedisPool pool(settings_for(g_server->url()));
    RedisStateStore store(pool);
    assert_int_equal(*store.increment("n", 60), 1);
    const long long parent_id = lent_client_id(pool);
    assert_true(parent_id > 0);
    assert_int_equal(lent_client_id(pool), parent_id);  // the idle connection is reused

    const pid_t child = ::fork();
    assert_true(child >= 0);
    if (child == 0) {
        // No cmocka here: report through the exit status.
        int code = 0;
        const long long child_id = lent_client_id(pool);
        RedisStateStore child_store(pool);
        const std::optional<std::int64_t> n = child_store.increment("n", 60);
        if (child_id <= 0) code = 1;
        else if (child_id == parent_id) code = 2;
        else if (!n || *n != 2) code = 3;
        else if (lent_client_id(pool) != child_id) code = 4;
        ::_exit(code);
    }
    int status = 0;
    assert_int_equal(::waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) != 0) {
        static const char* const kWhy[] = {"", "the child got no connection",
                                           "the child was lent the parent's connection",
                                           "the child's increment failed or was wrong",
                                           "the child's pool did not keep its own connection"};
        const int code = WEXITSTATUS(status);
        print_error("fork: %s (exit %d)\n", code < 5 ? kWhy[code] : "?", code);
        fail();
    }
    // The parent's connection is still the same, and still in step with its answers.
    assert_int_equal(lent_client_id(pool), parent_id);
    assert_int_equal(*store.increment("n", 60), 3);
    std::string value;
    assert_status(store.get("n", &value), ok);
    assert_string_equal(value.c_str(), "3");
}

// A server that goes away while a connection is lent (between acquire's check and the write):
// the operation fails, and the process lives. lib/ does not count on SIGPIPE being ignored
// (lib/exec/program_runner.cpp: "httpd does; lib/ does not count on it"), so a program using
// the store without ignoring SIGPIPE must not be killed by a write to a closed socket (a Unix
// socket raises it at the first write). Run in a child with SIGPIPE at its default action.
// (Fails while RedisConnection::command writes through hiredis with SIGPIPE neither blocked
// nor suppressed.)
static void a_server_gone_mid_operation_raises_no_sigpipe(void**) {
    RedisServer::Options options;
    options.unix_socket = true;
    RedisServer server(options);
    int ready[2], go[2];
    assert_int_equal(::pipe(ready), 0);
    assert_int_equal(::pipe(go), 0);
    const pid_t child = ::fork();
    assert_true(child >= 0);
    if (child == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        ::close(ready[0]);
        ::close(go[1]);
        int code = 0;
        {
            RedisPool pool(settings_for(server.unix_url(), "t:", milliseconds(1000)));
            std::string error;
            std::optional<RedisPool::Lease> lease =
                pool.acquire(Deadline(milliseconds(1000)), &error);
            char byte = lease ? 'r' : 'x';
            if (::write(ready[1], &byte, 1) != 1) ::_exit(5);
            if (!lease) ::_exit(1);
            if (::read(go[0], &byte, 1) != 1) ::_exit(5);
            // The server has exited: its end of the socket is closed.
            RedisReply reply = lease->connection().command({"SET", "t:k", "v"},
                                                           Deadline(milliseconds(1000)), &error);
            if (reply) code = 2;                                    // an answer from nobody?
            else if (error.find(server.unix_path()) == std::string::npos) code = 3;
        }
        ::_exit(code);
    }
    ::close(ready[1]);
    ::close(go[0]);
    char byte = 0;
    assert_int_equal(::read(ready[0], &byte, 1), 1);
    server.stop();
    assert_int_equal(::write(go[1], &byte, 1), 1);
    int status = 0;
    assert_int_equal(::waitpid(child, &status, 0), child);
    ::close(ready[0]);
    ::close(go[1]);
    if (WIFSIGNALED(status)) {
        print_error("the process was killed by signal %d (%s) writing to the closed socket\n",
                    WTERMSIG(status), strsignal(WTERMSIG(status)));
        fail();
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void redis_server_missing(void**) { skip(); }

int main() {
    // As in httpd (which ignores SIGPIPE): a write to a connection the server closed is an
    // error of that operation, not the end of the process.
    ::signal(SIGPIPE, SIG_IGN);
    if (redis_test::find_redis_server().empty()) {
        std::printf("redis-server not installed: skipping (Debian: apt-get install redis-server)\n");
        const struct CMUnitTest skipped[] = {cmocka_unit_test(redis_server_missing)};
        return cmocka_run_group_tests(skipped, nullptr, nullptr);
    }
#define SHARED(test) cmocka_unit_test_setup_teardown(test, flush_shared_server, stop_leftover_servers)
#define OWN(test) cmocka_unit_test_teardown(test, stop_leftover_servers)
    const struct CMUnitTest tests[] = {
        SHARED(contract_matches_memory_store),
        SHARED(ttls_are_set_on_the_server),
        SHARED(expired_records_are_gone),
        SHARED(advance_is_exact_for_large_numbers),
        SHARED(memory_store_agrees_on_20_digit_steps),
        SHARED(prefixes_separate_sites),
        SHARED(database_is_selected),
        OWN(unix_socket_with_database),
        SHARED(scripts_survive_script_flush),
        OWN(auth_with_the_right_password),
        OWN(auth_with_a_wrong_password_fails_closed),
        OWN(stopped_server_fails_closed_and_recovers),
        OWN(restart_costs_no_operation),
        OWN(hung_server_fails_within_the_timeout),
        SHARED(parallel_increments_are_exact),
        SHARED(login_limits_parallel_replays_leave_no_count),
        SHARED(login_limits_store_no_user_names),
        SHARED(fork_child_opens_its_own_connection),
        OWN(a_server_gone_mid_operation_raises_no_sigpipe),
    };
#undef SHARED
#undef OWN
    return cmocka_run_group_tests(tests, start_shared_server, stop_shared_server);
}
