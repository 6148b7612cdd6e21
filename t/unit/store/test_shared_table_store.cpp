// SharedTableStore, the default state store: the StateStore contract, a table that never
// forgets a live record (full is a refusal, expired records make room first), removal that
// keeps every record reachable (checked against a model under random operations), and
// atomic operations across processes that share the table through fork().
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cmocka_wrap.h"
#include "store/shared_table_store.h"

using otp::SharedTableGeometry;
using otp::SharedTableStore;
using otp::StoreStatus;

namespace {

// Zero-filled shared memory, as the module maps it (MAP_SHARED: children of fork() see it).
class SharedRegion {
public:
    explicit SharedRegion(std::size_t bytes) : bytes_(bytes) {
        memory_ = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        assert_true(memory_ != MAP_FAILED);
        std::string error;
        assert_true(SharedTableStore::format(memory_, bytes, &error));
    }
    ~SharedRegion() { munmap(memory_, bytes_); }
    void* get() const { return memory_; }
    std::size_t bytes() const { return bytes_; }

private:
    void* memory_;
    std::size_t bytes_;
};

std::size_t bytes_for_slots(std::size_t slots) {
    return SharedTableGeometry::header_bytes() + slots * SharedTableGeometry::kSlotBytes;
}

int status(StoreStatus s) { return static_cast<int>(s); }

void format_checks_size(void**) {
    std::vector<char> small(SharedTableGeometry::header_bytes() + 10, 0);
    std::string error;
    assert_false(SharedTableStore::format(small.data(), small.size(), &error));
    assert_non_null(std::strstr(error.c_str(), "at least"));
    SharedRegion region(bytes_for_slots(128));
    assert_true(SharedTableStore::is_formatted(region.get(), region.bytes()));
    // Another size is another table: a restart with a new size starts afresh.
    assert_false(SharedTableStore::is_formatted(region.get(), bytes_for_slots(64)));
    SharedTableStore store(region.get(), 1000);
    assert_int_equal(store.stats().slots, 128);
}

void contract_basics(void**) {
    SharedRegion region(bytes_for_slots(256));
    SharedTableStore store(region.get(), 1000);
    store.set_now(1000);
    assert_int_equal(status(store.add("k", "v1", 10)), status(StoreStatus::ok));
    assert_int_equal(status(store.add("k", "v2", 10)), status(StoreStatus::exists));
    std::string value;
    assert_int_equal(status(store.get("k", &value)), status(StoreStatus::ok));
    assert_string_equal(value.c_str(), "v1");
    assert_int_equal(*store.increment("n", 100), 1);
    assert_int_equal(*store.increment("n", 100), 2);
    assert_int_equal(*store.decrement("n"), 1);
    assert_true(*store.advance("t", 5, 100));
    assert_false(*store.advance("t", 5, 100));
    assert_false(*store.advance("t", 4, 100));
    assert_true(*store.advance("t", 6, 100));
    otp::GuardedCount guarded = store.increment_unless("g", 100, "lock");
    assert_int_equal(static_cast<int>(guarded.status),
                     static_cast<int>(otp::GuardedCount::Status::counted));
    store.put("lock", "until", 100);
    guarded = store.increment_unless("g", 100, "lock");
    assert_int_equal(static_cast<int>(guarded.status),
                     static_cast<int>(otp::GuardedCount::Status::blocked));
    assert_string_equal(guarded.blocker.c_str(), "until");
    // Compare-and-set: one step from a state, once.
    store.put("flow", "init", 100);
    assert_int_equal(status(store.compare_and_set("flow", "init", "next", 100)),
                     status(StoreStatus::ok));
    assert_int_equal(status(store.compare_and_set("flow", "init", "next", 100)),
                     status(StoreStatus::exists));
    assert_int_equal(status(store.compare_and_set("none", "init", "next", 100)),
                     status(StoreStatus::not_found));
    // Expiry, and an expired record no longer blocks add.
    store.set_now(1010);
    assert_int_equal(status(store.get("k", nullptr)), status(StoreStatus::not_found));
    assert_int_equal(status(store.add("k", "v3", 10)), status(StoreStatus::ok));
    assert_int_equal(status(store.remove("k")), status(StoreStatus::ok));
    assert_int_equal(status(store.remove("k")), status(StoreStatus::not_found));
    // A value larger than a slot holds is an error, never a truncated record.
    assert_int_equal(
        status(store.put("big", std::string(SharedTableGeometry::kMaxValueBytes + 1, 'x'), 10)),
        status(StoreStatus::error));
    assert_int_equal(status(store.last_failure()), status(StoreStatus::error));
    assert_int_equal(
        status(store.put("fits", std::string(SharedTableGeometry::kMaxValueBytes, 'x'), 10)),
        status(StoreStatus::ok));
    // Each operation starts afresh: a success leaves no failure behind.
    assert_int_equal(status(store.last_failure()), status(StoreStatus::ok));
}

// Filled with live records until it refuses: nothing stored before is lost, the refusal says
// full (also for increment, which has no status of its own), and existing records can still
// be updated in place. A table no larger than kMaxProbe slots is reachable from every home,
// so it refuses exactly when every slot holds a live record.
void full_refuses_and_forgets_nothing(void**) {
    constexpr std::size_t kSlots = 512;
    static_assert(kSlots <= SharedTableGeometry::kMaxProbe, "every slot reachable");
    SharedRegion region(bytes_for_slots(kSlots));
    SharedTableStore store(region.get(), 1000);
    store.set_now(1000);
    std::size_t stored = 0;
    while (store.add("key-" + std::to_string(stored), std::to_string(stored), 3600) ==
           StoreStatus::ok)
        ++stored;
    assert_int_equal(status(store.last_failure()), status(StoreStatus::full));
    assert_int_equal(stored, kSlots);
    for (std::size_t i = 0; i < stored; ++i) {
        std::string value;
        assert_int_equal(status(store.get("key-" + std::to_string(i), &value)),
                         status(StoreStatus::ok));
        assert_string_equal(value.c_str(), std::to_string(i).c_str());
    }
    assert_int_equal(status(store.add("one-more", "x", 3600)), status(StoreStatus::full));
    otp::SharedTableStore fresh(region.get(), 1000);
    fresh.set_now(1000);
    assert_false(fresh.increment("new-counter", 3600).has_value());
    assert_int_equal(status(fresh.last_failure()), status(StoreStatus::full));
    assert_int_equal(static_cast<int>(fresh.increment_unless("new-guesses", 3600, "lock").status),
                     static_cast<int>(otp::GuardedCount::Status::error));
    assert_false(fresh.advance("new-replay", 7, 3600).has_value());
    // An existing record is updated where it is, counters included.
    assert_int_equal(status(store.put("key-0", "updated", 3600)), status(StoreStatus::ok));
    assert_int_equal(status(store.remove("key-1")), status(StoreStatus::ok));
    assert_int_equal(*store.increment("counter", 3600), 1);
    assert_int_equal(*store.increment("counter", 3600), 2);
    assert_true(store.stats().refused_full >= 4);
    // Removing one record makes room for exactly one.
    assert_int_equal(status(store.remove("key-2")), status(StoreStatus::ok));
    assert_int_equal(status(store.add("again-1", "y", 3600)), status(StoreStatus::ok));
    assert_int_equal(status(store.add("again-2", "y", 3600)), status(StoreStatus::full));
}

// A large table refuses a key only when the kMaxProbe slots from its home are all live: that
// happens near the top. Every record stored before the refusals is still there.
void large_table_fills_before_refusing(void**) {
    constexpr std::size_t kSlots = 8192;
    SharedRegion region(bytes_for_slots(kSlots));
    SharedTableStore store(region.get(), 1000);
    store.set_now(1000);
    std::size_t stored = 0, tried = 0, consecutive_refusals = 0;
    while (consecutive_refusals < 200) {
        if (store.add("key-" + std::to_string(tried), "v", 3600) == StoreStatus::ok) {
            ++stored;
            consecutive_refusals = 0;
        } else {
            assert_int_equal(status(store.last_failure()), status(StoreStatus::full));
            ++consecutive_refusals;
        }
        ++tried;
    }
    assert_true(stored >= kSlots * 90 / 100);
    assert_int_equal(store.stats().used, stored);
    std::size_t found = 0;
    for (std::size_t i = 0; i < tried; ++i)
        found += store.get("key-" + std::to_string(i), nullptr) == StoreStatus::ok;
    assert_int_equal(found, stored);
}

// Expired records go first: a table full of expired records takes a whole new set of live
// ones, and a mix keeps every live record.
void expired_records_make_room(void**) {
    constexpr std::size_t kSlots = 1024;
    SharedRegion region(bytes_for_slots(kSlots));
    SharedTableStore store(region.get(), 1000);
    store.set_now(1000);
    std::size_t short_lived = 0;
    while (store.add("short-" + std::to_string(short_lived), "s", 10) == StoreStatus::ok)
        ++short_lived;
    store.set_now(1011);  // every record above has expired
    std::size_t long_lived = 0;
    while (long_lived < short_lived &&
           store.add("long-" + std::to_string(long_lived), "l", 3600) == StoreStatus::ok)
        ++long_lived;
    assert_int_equal(long_lived, short_lived);
    for (std::size_t i = 0; i < long_lived; ++i)
        assert_int_equal(status(store.get("long-" + std::to_string(i), nullptr)),
                         status(StoreStatus::ok));
}

// Random operations, with expiry, against a std::map model: every answer agrees, so removal
// (backward shift) and reuse of expired slots never lose or resurrect a record.
void random_operations_match_a_model(void**) {
    constexpr std::size_t kSlots = 512;
    SharedRegion region(bytes_for_slots(kSlots));
    SharedTableStore store(region.get(), 1000);
    struct Entry {
        std::string value;
        std::int64_t expires;
    };
    std::map<std::string, Entry> model;
    std::mt19937 random(12345);
    std::int64_t now = 1000;
    store.set_now(now);
    for (int step = 0; step < 200000; ++step) {
        if (random() % 100 == 0) store.set_now(++now);
        const std::string key = "k" + std::to_string(random() % 700);
        auto it = model.find(key);
        const bool live = it != model.end() && it->second.expires > now;
        switch (random() % 4) {
            case 0: {  // add
                const std::int64_t ttl = 1 + random() % 20;
                const StoreStatus s = store.add(key, std::to_string(step), ttl);
                if (live) {
                    assert_int_equal(status(s), status(StoreStatus::exists));
                } else if (s == StoreStatus::ok) {
                    model[key] = Entry{std::to_string(step), now + ttl};
                } else {
                    assert_int_equal(status(s), status(StoreStatus::full));
                    // Full only when the model really holds many live records.
                    std::size_t live_count = 0;
                    for (const auto& entry : model) live_count += entry.second.expires > now;
                    assert_true(live_count > kSlots * 8 / 10);
                }
                break;
            }
            case 1: {  // get
                std::string value;
                const StoreStatus s = store.get(key, &value);
                if (live) {
                    assert_int_equal(status(s), status(StoreStatus::ok));
                    assert_string_equal(value.c_str(), it->second.value.c_str());
                } else {
                    assert_int_equal(status(s), status(StoreStatus::not_found));
                }
                break;
            }
            case 2: {  // remove
                const StoreStatus s = store.remove(key);
                assert_int_equal(status(s),
                                 status(live ? StoreStatus::ok : StoreStatus::not_found));
                if (it != model.end()) model.erase(it);
                break;
            }
            case 3: {  // put
                const std::int64_t ttl = 1 + random() % 20;
                const StoreStatus s = store.put(key, "p" + std::to_string(step), ttl);
                if (s == StoreStatus::ok)
                    model[key] = Entry{"p" + std::to_string(step), now + ttl};
                else
                    assert_int_equal(status(s), status(StoreStatus::full));
                break;
            }
        }
    }
}

// Several processes (the module's children) increment one counter and take add-if-absent
// "locks" at once: no increment is lost and exactly one process wins each add.
void atomic_across_processes(void**) {
    SharedRegion region(bytes_for_slots(1024));
    constexpr int kChildren = 4, kIncrements = 3000;
    std::vector<pid_t> children;
    for (int c = 0; c < kChildren; ++c) {
        const pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            SharedTableStore store(region.get(), 5000);
            int wins = 0;
            for (int i = 0; i < kIncrements; ++i) {
                if (!store.increment("counter", 3600)) _exit(2);
                if (store.add("once-" + std::to_string(i % 100), "x", 3600) == StoreStatus::ok)
                    ++wins;
            }
            _exit(wins > 100 ? 3 : 0);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int wstatus = 0;
        assert_int_equal(waitpid(pid, &wstatus, 0), pid);
        assert_true(WIFEXITED(wstatus));
        assert_int_equal(WEXITSTATUS(wstatus), 0);
    }
    SharedTableStore store(region.get(), 1000);
    std::string value;
    assert_int_equal(status(store.get("counter", &value)), status(StoreStatus::ok));
    assert_string_equal(value.c_str(), std::to_string(kChildren * kIncrements).c_str());
    // 100 distinct "once-" keys, each added by exactly one winner: all present, no more.
    for (int i = 0; i < 100; ++i)
        assert_int_equal(status(store.add("once-" + std::to_string(i), "y", 3600)),
                         status(StoreStatus::exists));
    assert_int_equal(store.stats().used, 101);
}

// A process that dies holding the table's mutex (SIGKILL in the middle of its work) does not
// stop the others: the robust mutex hands the lock on.
void dead_holder_does_not_block(void**) {
    SharedRegion region(bytes_for_slots(1024));
    const pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        SharedTableStore store(region.get(), 5000);
        for (;;) (void)store.increment("busy", 3600);  // killed below, sooner or later locked
    }
    usleep(50000);
    kill(pid, SIGKILL);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    SharedTableStore store(region.get(), 1000);
    for (int i = 0; i < 100; ++i) assert_true(store.increment("after", 3600).has_value());
    assert_int_equal(status(store.get("busy", nullptr)), status(StoreStatus::ok));
}

}  // namespace

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format_checks_size),
        cmocka_unit_test(contract_basics),
        cmocka_unit_test(full_refuses_and_forgets_nothing),
        cmocka_unit_test(large_table_fills_before_refusing),
        cmocka_unit_test(expired_records_make_room),
        cmocka_unit_test(random_operations_match_a_model),
        cmocka_unit_test(atomic_across_processes),
        cmocka_unit_test(dead_holder_does_not_block),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
