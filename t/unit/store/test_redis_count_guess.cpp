// StateStore::count_guess, the admission of one guess in one step: the Lua script of the Redis
// store against a real redis-server must answer and leave exactly what KeyValueStateStore's
// (MemoryStateStore here; the shared-memory table and the socache store run the same code)
// answers and leaves, for every way a guess can be admitted or refused. And the handle of one request waits for Redis at most
// OTPStateStoreTimeout in all, however many operations it makes.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cmocka_wrap.h"
#include "login/login_limits.h"
#include "store/redis_address.h"
#include "store/redis_pool.h"
#include "store/redis_server.h"
#include "store/redis_state_store.h"
#include "store/state_store.h"

using namespace otp;
using namespace redis_test;

namespace {

RedisSettings settings_for(const RedisServer& server, std::chrono::milliseconds timeout) {
    RedisSettings settings;
    std::string error;
    settings.address = *parse_redis_address(server.url(), &error);
    settings.timeout = timeout;
    return settings;
}

void assert_same_answer(const GuessCountAnswer& expected, const GuessCountAnswer& actual) {
    assert_int_equal(static_cast<int>(actual.status), static_cast<int>(expected.status));
    assert_int_equal(actual.stopped_at, expected.stopped_at);
    assert_string_equal(actual.blocker.c_str(), expected.blocker.c_str());
    assert_int_equal(actual.notice_removed, expected.notice_removed);
    assert_int_equal(actual.counts.size(), expected.counts.size());
    for (std::size_t i = 0; i < expected.counts.size(); ++i)
        assert_int_equal(actual.counts[i], expected.counts[i]);
}

// What a key holds in each store ("" for nothing).
std::string value_of(StateStore& store, const std::string& key) {
    std::string value;
    return store.get(key, &value) == StoreStatus::ok ? value : "";
}

// The three counters of a login with an address: address (blocked by its lock), attempt
// (kept on refusal), user (blocked by the user's lock).
GuessCountRequest login_request(std::int64_t address_limit, std::int64_t tries_limit,
                                std::int64_t user_limit) {
    GuessCountRequest request;
    request.lock = "u.lock";
    request.notice = "u.locked-notice";
    request.counters.push_back({"a.addr-guesses", 300, address_limit, "a.addr-lock", true});
    request.counters.push_back({"t.tries", 960, tries_limit, "", false});
    request.counters.push_back({"u.guesses", 300, user_limit, "u.lock", true});
    return request;
}

const std::vector<std::string> kKeys = {"u.lock",      "u.locked-notice", "a.addr-guesses",
                                        "a.addr-lock", "t.tries",         "u.guesses"};

// Runs `step` on both stores, then compares the answers and every key.
template <typename Step>
void both(StateStore& memory, StateStore& redis, Step step) {
    const GuessCountAnswer expected = step(memory);
    const GuessCountAnswer actual = step(redis);
    assert_same_answer(expected, actual);
    for (const std::string& key : kKeys)
        assert_string_equal(value_of(redis, key).c_str(), value_of(memory, key).c_str());
}

}  // namespace

static void the_script_answers_as_the_default_does(void**) {
    RedisServer server;
    RedisPool pool(settings_for(server, std::chrono::milliseconds(2000)));
    RedisStateStore redis(pool);
    MemoryStateStore memory;
    const auto count = [](const GuessCountRequest& request) {
        return [request](StateStore& store) { return store.count_guess(request); };
    };
    const auto setup = [](std::function<void(StateStore&)> change) {
        return [change](StateStore& store) {
            change(store);
            return GuessCountAnswer{};  // compared with an equal one: only the keys matter
        };
    };

    // Counted, twice: every counter moves, nothing refused.
    both(memory, redis, count(login_request(10, 5, 3)));
    both(memory, redis, count(login_request(10, 5, 3)));
    // The user counter goes over its limit: refused; the user and the address get the guess
    // back, the attempt keeps it.
    both(memory, redis, count(login_request(10, 5, 2)));
    assert_string_equal(value_of(redis, "u.guesses").c_str(), "2");
    assert_string_equal(value_of(redis, "t.tries").c_str(), "3");
    assert_string_equal(value_of(redis, "a.addr-guesses").c_str(), "2");
    // The attempt over its limit: refused there; the address gets its guess back, the user
    // was never counted.
    both(memory, redis, count(login_request(10, 3, 9)));
    // The address over its limit: refused at once, given back.
    both(memory, redis, count(login_request(2, 9, 9)));
    // A lock on the address: blocked before counting it.
    both(memory, redis, setup([](StateStore& s) { s.put("a.addr-lock", "1700000900", 60); }));
    both(memory, redis, count(login_request(10, 9, 9)));
    both(memory, redis, setup([](StateStore& s) { s.remove("a.addr-lock"); }));
    // The user locked: answered "locked" with the lock's value, nothing counted, the notice
    // stays.
    both(memory, redis, setup([](StateStore& s) {
             s.put("u.lock", "1700000999", 60);
             s.put("u.locked-notice", "1", 60);
         }));
    both(memory, redis, count(login_request(10, 9, 9)));
    // The lock gone: the notice is taken once (an unlock to report), then no more.
    both(memory, redis, setup([](StateStore& s) { s.remove("u.lock"); }));
    both(memory, redis, count(login_request(10, 9, 9)));
    both(memory, redis, count(login_request(10, 9, 9)));
    // A lock that appears between the first check and the user's count (another request
    // took it): the user's counter is blocked by it. Here without the first check (no
    // `lock`), as a stale first read would leave it.
    both(memory, redis, setup([](StateStore& s) { s.put("u.lock", "1700001234", 60); }));
    both(memory, redis, [](StateStore& store) {
        GuessCountRequest request = login_request(10, 9, 9);
        request.lock.clear();
        request.notice.clear();
        return store.count_guess(request);
    });
    // No counters at all (OTPLockout off, no attempt, no address): counted, nothing stored.
    both(memory, redis, [](StateStore& store) { return store.count_guess(GuessCountRequest{}); });
    // A counter that is not a number is a store error in both.
    both(memory, redis, setup([](StateStore& s) {
             s.remove("u.lock");
             s.put("u.guesses", "not a number", 60);
         }));
    assert_int_equal(static_cast<int>(memory.count_guess(login_request(10, 9, 9)).status),
                     static_cast<int>(GuessCountAnswer::Status::error));
    assert_int_equal(static_cast<int>(redis.count_guess(login_request(10, 9, 9)).status),
                     static_cast<int>(GuessCountAnswer::Status::error));
}

// The counters the script makes live as long as the request says, and existing ones keep
// their expiry (as increment does).
static void the_script_sets_the_lifetimes(void**) {
    RedisServer server;
    RedisPool pool(settings_for(server, std::chrono::milliseconds(2000)));
    RedisStateStore redis(pool);
    RawRedis raw(server);
    redis.count_guess(login_request(10, 9, 9));
    assert_in_range(raw.integer({"TTL", "otp:t.tries"}), 950, 960);
    assert_in_range(raw.integer({"TTL", "otp:u.guesses"}), 290, 300);
    assert_int_equal(raw.integer({"EXPIRE", "otp:u.guesses", "30"}), 1);
    redis.count_guess(login_request(10, 9, 9));
    assert_in_range(raw.integer({"TTL", "otp:u.guesses"}), 1, 30);
}

// Parallel admissions of one user on the Redis store, each handled like a replay (given back
// once compared): never more in flight than the limit, and nothing left counted afterwards.
static void parallel_replays_leave_nothing_counted(void**) {
    RedisServer server;
    RedisPool pool(settings_for(server, std::chrono::milliseconds(5000)));
    LimitPolicy policy;
    policy.lockout_failures = 5;
    std::atomic<int> in_flight{0}, most{0}, admitted{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 40; ++i)
        threads.emplace_back([&] {
            RedisStateStore store(pool);
            LoginLimits limits(store, policy, "users");
            for (int round = 0; round < 10; ++round) {
                const Admission a = limits.admit(nullptr, "alice", "192.0.2.1", 1700000000);
                if (a.verdict != GateVerdict::proceed) continue;
                const int now_in = ++in_flight;
                int seen = most.load();
                while (now_in > seen && !most.compare_exchange_weak(seen, now_in)) {
                }
                ++admitted;
                std::this_thread::sleep_for(std::chrono::microseconds(200));
                --in_flight;
                limits.record_replay("alice", "192.0.2.1", a);
            }
        });
    for (auto& t : threads) t.join();
    assert_true(admitted.load() > 0);
    assert_true(most.load() <= 5);
    RedisStateStore store(pool);
    LoginLimits limits(store, policy, "users");
    std::string value;
    assert_int_equal(
        static_cast<int>(store.get(record_key(limits.user_key("alice"), "guesses"), &value)),
        static_cast<int>(StoreStatus::ok));
    assert_string_equal(value.c_str(), "0");
    assert_int_equal(static_cast<int>(limits.admit(nullptr, "alice", "", 1700000000).verdict),
                     static_cast<int>(GateVerdict::proceed));
}

// One request's handle waits for a hung Redis at most the timeout in all: after its first
// operation used the timeout up, the next ones fail at once. A new handle (the next request)
// gets the whole timeout again.
static void one_request_waits_at_most_the_timeout(void**) {
    RedisServer server;
    RedisPool pool(settings_for(server, std::chrono::milliseconds(300)));
    {
        RedisStateStore warm(pool);
        assert_int_equal(static_cast<int>(warm.put("k", "v", 60)),
                         static_cast<int>(StoreStatus::ok));
    }
    server.pause();
    RedisStateStore request(pool);
    const auto started = std::chrono::steady_clock::now();
    assert_int_equal(static_cast<int>(request.put("k", "v", 60)),
                     static_cast<int>(StoreStatus::error));
    for (int i = 0; i < 5; ++i) assert_false(request.increment("c", 60).has_value());
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - started);
    assert_in_range(took.count(), 250, 650);  // one timeout (300 ms), not six
    assert_true(request.failures() == 6);
    assert_non_null(std::strstr(request.failure_reason().c_str(), server.endpoint().c_str()));
    server.resume();
    // After the backoff the next request is served again.
    std::this_thread::sleep_for(RedisPool::kMaxBackoff);
    RedisStateStore next(pool);
    assert_int_equal(static_cast<int>(next.put("k", "w", 60)), static_cast<int>(StoreStatus::ok));
}

static int teardown(void**) {
    stop_all_redis_servers();
    return 0;
}

int main() {
    if (find_redis_server().empty()) {
        std::printf("redis-server not installed: skipping the Redis count_guess tests\n");
        return 0;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(the_script_answers_as_the_default_does, teardown),
        cmocka_unit_test_teardown(the_script_sets_the_lifetimes, teardown),
        cmocka_unit_test_teardown(parallel_replays_leave_nothing_counted, teardown),
        cmocka_unit_test_teardown(one_request_waits_at_most_the_timeout, teardown),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
