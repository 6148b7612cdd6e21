// The default state store (lib/store/shared_table_store.h) against a model. The input picks
// a table size (64 to 1,024 slots, so a full table is reachable and refusals happen) and a
// sequence of operations on a small key space with short lifetimes and a clock that moves.
//
// Properties, after every operation:
//  - every answer agrees with a std::map model of what is live (add-if-absent, increment,
//    decrement, increment_unless, advance, compare_and_set, put, get, remove);
//  - a refusal is StoreStatus::full (last_failure says so) and happens only when the key is
//    new and the table really holds no free or expired slot within reach: with at most
//    kMaxProbe slots, every slot is reachable, so only when every slot is live;
//  - a refused write changes nothing: no live record is ever lost, none comes back.
#include <fuzzer/FuzzedDataProvider.h>
#include <sys/mman.h>

#include <map>
#include <string>

#include "fixtures.h"
#include "fuzz_support.h"
#include "store/shared_table_store.h"

using namespace otp;

namespace {

struct Entry {
    std::string value;
    std::int64_t expires;
};

class Model {
public:
    std::map<std::string, Entry> entries;
    std::int64_t now = fuzz::kNow;

    const Entry* live(const std::string& key) const {
        auto it = entries.find(key);
        return it != entries.end() && it->second.expires > now ? &it->second : nullptr;
    }
    std::size_t live_count() const {
        std::size_t n = 0;
        for (const auto& e : entries) n += e.second.expires > now;
        return n;
    }
};

std::int64_t as_number(const std::string& value) { return std::stoll(value); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider in(data, size);
    const std::size_t slots = in.ConsumeIntegralInRange<std::size_t>(
        SharedTableGeometry::kMinSlots, SharedTableGeometry::kMaxProbe);
    const std::size_t bytes =
        SharedTableGeometry::header_bytes() + slots * SharedTableGeometry::kSlotBytes;
    static void* region = nullptr;
    static std::size_t mapped = 0;
    if (mapped < bytes) {
        if (region) munmap(region, mapped);
        mapped = SharedTableGeometry::header_bytes() +
                 SharedTableGeometry::kMaxProbe * SharedTableGeometry::kSlotBytes;
        region = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        FUZZ_CHECK(region != MAP_FAILED, "mmap");
    }
    std::memset(region, 0, bytes);
    std::string error;
    FUZZ_CHECK(SharedTableStore::format(region, bytes, &error), "format: %s", error.c_str());
    SharedTableStore store(region, 1000);
    Model model;
    store.set_now(model.now);
    const std::size_t key_space = in.ConsumeIntegralInRange<std::size_t>(1, 2 * slots);

    while (in.remaining_bytes() > 0) {
        if (in.ConsumeIntegralInRange<int>(0, 15) == 0) {
            model.now += in.ConsumeIntegralInRange<int>(1, 5);
            store.set_now(model.now);
        }
        const std::string key =
            "k" + std::to_string(in.ConsumeIntegralInRange<std::size_t>(0, key_space - 1));
        const std::int64_t ttl = in.ConsumeIntegralInRange<int>(1, 12);
        const Entry* current = model.live(key);
        const bool room = current || model.live_count() < slots;
        const int op = in.ConsumeIntegralInRange<int>(0, 8);
        switch (op) {
            case 0: {  // add
                const std::string value = std::to_string(in.ConsumeIntegral<std::uint16_t>());
                const StoreStatus s = store.add(key, value, ttl);
                if (current) {
                    FUZZ_CHECK(s == StoreStatus::exists, "add of live %s: %d", key.c_str(), int(s));
                } else if (room) {
                    FUZZ_CHECK(s == StoreStatus::ok, "add with room: %d", int(s));
                    model.entries[key] = Entry{value, model.now + ttl};
                } else {
                    FUZZ_CHECK(s == StoreStatus::full && store.last_failure() == StoreStatus::full,
                               "add to a full table: %d", int(s));
                }
                break;
            }
            case 1: {  // increment (only of counters in the model)
                if (current && current->value.find_first_not_of("0123456789") != std::string::npos)
                    break;
                auto n = store.increment(key, ttl);
                if (!room) {
                    FUZZ_CHECK(!n && store.last_failure() == StoreStatus::full, "increment full");
                    break;
                }
                const std::int64_t expected = current ? as_number(current->value) + 1 : 1;
                FUZZ_CHECK(n && *n == expected, "increment %s: %lld, expected %lld", key.c_str(),
                           n ? static_cast<long long>(*n) : -1LL, static_cast<long long>(expected));
                const std::int64_t expires = current ? current->expires : model.now + ttl;
                model.entries[key] = Entry{std::to_string(expected), expires};
                break;
            }
            case 2: {  // decrement
                if (current && current->value.find_first_not_of("0123456789") != std::string::npos)
                    break;
                auto n = store.decrement(key);
                const std::int64_t expected =
                    current ? std::max<std::int64_t>(0, as_number(current->value) - 1) : 0;
                FUZZ_CHECK(n && *n == expected, "decrement %s", key.c_str());
                if (current) model.entries[key].value = std::to_string(expected);
                break;
            }
            case 3: {  // increment_unless, with the next key as the blocker
                const std::string blocker = key + "b";
                if (current && current->value.find_first_not_of("0123456789") != std::string::npos)
                    break;
                const Entry* lock = model.live(blocker);
                GuardedCount g = store.increment_unless(key, ttl, blocker);
                if (lock) {
                    FUZZ_CHECK(
                        g.status == GuardedCount::Status::blocked && g.blocker == lock->value,
                        "not blocked by a live blocker");
                } else if (!room) {
                    FUZZ_CHECK(g.status == GuardedCount::Status::error &&
                                   store.last_failure() == StoreStatus::full,
                               "increment_unless full");
                } else {
                    const std::int64_t expected = current ? as_number(current->value) + 1 : 1;
                    FUZZ_CHECK(g.status == GuardedCount::Status::counted && g.count == expected,
                               "increment_unless count");
                    const std::int64_t expires = current ? current->expires : model.now + ttl;
                    model.entries[key] = Entry{std::to_string(expected), expires};
                }
                break;
            }
            case 4: {  // advance
                if (current && current->value.find_first_not_of("0123456789") != std::string::npos)
                    break;
                const std::uint64_t v = in.ConsumeIntegralInRange<std::uint64_t>(0, 50);
                auto moved = store.advance(key, v, ttl);
                const bool expected =
                    !current || static_cast<std::uint64_t>(as_number(current->value)) < v;
                if (expected && !room) {
                    FUZZ_CHECK(!moved && store.last_failure() == StoreStatus::full, "advance full");
                    break;
                }
                FUZZ_CHECK(moved && *moved == expected, "advance %s to %llu", key.c_str(),
                           static_cast<unsigned long long>(v));
                if (expected) model.entries[key] = Entry{std::to_string(v), model.now + ttl};
                break;
            }
            case 5: {  // compare_and_set
                const std::string expected_value =
                    current && in.ConsumeBool() ? current->value : "x";
                const std::string desired =
                    "s" + std::to_string(in.ConsumeIntegral<std::uint8_t>());
                const StoreStatus s = store.compare_and_set(key, expected_value, desired, ttl);
                if (!current) {
                    FUZZ_CHECK(s == StoreStatus::not_found, "cas of a missing key");
                } else if (current->value != expected_value) {
                    FUZZ_CHECK(s == StoreStatus::exists, "cas with another value");
                } else {
                    FUZZ_CHECK(s == StoreStatus::ok, "cas: %d", int(s));
                    model.entries[key] = Entry{desired, model.now + ttl};
                }
                break;
            }
            case 6: {  // put
                const std::string value = "p" + std::to_string(in.ConsumeIntegral<std::uint8_t>());
                const StoreStatus s = store.put(key, value, ttl);
                if (room) {
                    FUZZ_CHECK(s == StoreStatus::ok, "put with room: %d", int(s));
                    model.entries[key] = Entry{value, model.now + ttl};
                } else {
                    FUZZ_CHECK(s == StoreStatus::full, "put to a full table: %d", int(s));
                }
                break;
            }
            case 7: {  // get
                std::string value;
                const StoreStatus s = store.get(key, &value);
                if (current)
                    FUZZ_CHECK(s == StoreStatus::ok && value == current->value,
                               "get %s: %d '%s', expected '%s'", key.c_str(), int(s), value.c_str(),
                               current->value.c_str());
                else
                    FUZZ_CHECK(s == StoreStatus::not_found, "get of a dead key %s: %d", key.c_str(),
                               int(s));
                break;
            }
            case 8: {  // remove
                const StoreStatus s = store.remove(key);
                FUZZ_CHECK(s == (current ? StoreStatus::ok : StoreStatus::not_found),
                           "remove %s: %d", key.c_str(), int(s));
                model.entries.erase(key);
                break;
            }
        }
    }
    // Every record the model holds live is in the table.
    for (const auto& [key, entry] : model.entries) {
        if (entry.expires <= model.now) continue;
        std::string value;
        FUZZ_CHECK(store.get(key, &value) == StoreStatus::ok && value == entry.value, "lost %s",
                   key.c_str());
    }
    return 0;
}
