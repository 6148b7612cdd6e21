// MemoryStateStore, and through it the compound operations of KeyValueStateStore that the
// module's socache store shares: add-if-absent, increment, advance, expiry.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "cmocka_wrap.h"
#include "store/state_store.h"

using otp::MemoryStateStore;
using otp::StoreStatus;

static void add_is_if_absent(void**) {
    MemoryStateStore store;
    store.set_now(1000);
    assert_int_equal(static_cast<int>(store.add("k", "v1", 10)), static_cast<int>(StoreStatus::ok));
    assert_int_equal(static_cast<int>(store.add("k", "v2", 10)),
                     static_cast<int>(StoreStatus::exists));
    std::string value;
    assert_int_equal(static_cast<int>(store.get("k", &value)), static_cast<int>(StoreStatus::ok));
    assert_string_equal(value.c_str(), "v1");
}

static void entries_expire(void**) {
    MemoryStateStore store;
    store.set_now(1000);
    store.add("k", "v", 10);
    store.set_now(1009);
    assert_int_equal(static_cast<int>(store.get("k", nullptr)), static_cast<int>(StoreStatus::ok));
    store.set_now(1010);
    assert_int_equal(static_cast<int>(store.get("k", nullptr)),
                     static_cast<int>(StoreStatus::not_found));
    // An expired entry no longer blocks add.
    assert_int_equal(static_cast<int>(store.add("k", "w", 10)), static_cast<int>(StoreStatus::ok));
}

static void increment_counts_and_keeps_expiry(void**) {
    MemoryStateStore store;
    store.set_now(1000);
    assert_int_equal(*store.increment("n", 60), 1);
    store.set_now(1030);
    assert_int_equal(*store.increment("n", 60), 2);
    store.set_now(1059);
    assert_int_equal(*store.increment("n", 60), 3);
    // The window started at 1000: it ends at 1060 however often it was incremented.
    store.set_now(1060);
    assert_int_equal(*store.increment("n", 60), 1);
}

static void increment_refuses_non_numbers(void**) {
    MemoryStateStore store;
    store.add("text", "abc", 60);
    assert_false(store.increment("text", 60).has_value());
    std::string value;
    store.get("text", &value);
    assert_string_equal(value.c_str(), "abc");
}

static void advance_only_moves_forward(void**) {
    MemoryStateStore store;
    store.set_now(1000);
    assert_true(*store.advance("step", 50, 90));
    assert_false(*store.advance("step", 50, 90));  // the same step again
    assert_false(*store.advance("step", 49, 90));  // an older step
    assert_true(*store.advance("step", 51, 90));
    store.set_now(1000 + 90 + 1);  // expired: anything goes again
    assert_true(*store.advance("step", 10, 90));
}

static void compare_and_set_moves_once(void**) {
    MemoryStateStore store;
    store.set_now(1000);
    assert_int_equal(static_cast<int>(store.compare_and_set("flow", "init", "coupled", 60)),
                     static_cast<int>(StoreStatus::not_found));
    store.put("flow", "init", 60);
    assert_int_equal(static_cast<int>(store.compare_and_set("flow", "other", "coupled", 60)),
                     static_cast<int>(StoreStatus::exists));
    assert_int_equal(static_cast<int>(store.compare_and_set("flow", "init", "coupled", 120)),
                     static_cast<int>(StoreStatus::ok));
    // Only one of two parallel steps from "init" can win.
    assert_int_equal(static_cast<int>(store.compare_and_set("flow", "init", "coupled", 120)),
                     static_cast<int>(StoreStatus::exists));
    std::string value;
    store.get("flow", &value);
    assert_string_equal(value.c_str(), "coupled");
    store.set_now(1119);  // the new ttl counts from the swap
    assert_int_equal(static_cast<int>(store.get("flow", nullptr)),
                     static_cast<int>(StoreStatus::ok));
    store.set_now(1120);
    assert_int_equal(static_cast<int>(store.compare_and_set("flow", "coupled", "done", 60)),
                     static_cast<int>(StoreStatus::not_found));
}

static void remove_deletes(void**) {
    MemoryStateStore store;
    store.add("k", "v", 60);
    assert_int_equal(static_cast<int>(store.remove("k")), static_cast<int>(StoreStatus::ok));
    assert_int_equal(static_cast<int>(store.remove("k")), static_cast<int>(StoreStatus::not_found));
    assert_int_equal(static_cast<int>(store.get("k", nullptr)),
                     static_cast<int>(StoreStatus::not_found));
}

// Parallel callers never get the same counter value, and exactly one add wins.
static void operations_are_atomic_across_threads(void**) {
    MemoryStateStore store;
    constexpr int kThreads = 8, kPerThread = 2000;
    std::atomic<int> add_wins{0};
    std::vector<std::vector<std::int64_t>> seen(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) seen[t].push_back(*store.increment("c", 600));
            if (store.add("once", "x", 600) == StoreStatus::ok) ++add_wins;
        });
    for (auto& thread : threads) thread.join();
    std::vector<bool> hit(kThreads * kPerThread + 1, false);
    for (const auto& values : seen)
        for (std::int64_t v : values) {
            assert_true(v >= 1 && v <= kThreads * kPerThread);
            assert_false(hit[v]);
            hit[v] = true;
        }
    assert_int_equal(add_wins.load(), 1);
}

// count_guess is one atomic step: a guess refused over the limit and given back can never
// meet a counter that another request rewrote in between. Here the other request holds a
// lockout in the counter (LoginLimits::take_lock's in_counter put of the limit) while 8
// threads keep guessing over the limit: the counter must end at the limit, never below (a
// give-back in a later step would take it to 4, 3, ... and hand out new guesses).
static void count_guess_gives_back_in_the_same_step(void**) {
    using otp::GuessCountAnswer;
    using otp::GuessCountRequest;
    MemoryStateStore store;
    store.set_now(1700000000);
    GuessCountRequest request;
    request.counters.push_back({"u.guesses", 300, 5, "u.lock", true});
    for (int round = 0; round < 50; ++round) {
        store.put("u.guesses", "5", 900);
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t)
            threads.emplace_back([&] {
                while (!go) std::this_thread::yield();
                for (int i = 0; i < 50; ++i) {
                    const GuessCountAnswer a = store.count_guess(request);
                    assert_int_equal(static_cast<int>(a.status),
                                     static_cast<int>(GuessCountAnswer::Status::over_limit));
                }
            });
        threads.emplace_back([&] {
            while (!go) std::this_thread::yield();
            for (int i = 0; i < 50; ++i) store.put("u.guesses", "5", 900);
        });
        go = true;
        for (auto& t : threads) t.join();
        std::string value;
        assert_int_equal(static_cast<int>(store.get("u.guesses", &value)),
                         static_cast<int>(StoreStatus::ok));
        assert_string_equal(value.c_str(), "5");
    }
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(add_is_if_absent),
        cmocka_unit_test(entries_expire),
        cmocka_unit_test(increment_counts_and_keeps_expiry),
        cmocka_unit_test(increment_refuses_non_numbers),
        cmocka_unit_test(advance_only_moves_forward),
        cmocka_unit_test(compare_and_set_moves_once),
        cmocka_unit_test(remove_deletes),
        cmocka_unit_test(operations_are_atomic_across_threads),
        cmocka_unit_test(count_guess_gives_back_in_the_same_step),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
