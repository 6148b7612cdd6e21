// The default state store (OTPStateStore shmcb): one fixed-size table in memory that every
// process of the server maps, which never forgets a live record.
//
// Why not an LRU cache: a cache makes room by evicting the oldest entry, and for security
// state "oldest" is exactly the lockout, the replay record or the session revocation an
// attacker wants gone. This table makes room only from records whose time is up; when no slot
// is free or expired where a new key may go, the write is refused (StoreStatus::full) and the
// request fails closed.
//
// Layout: a header (magic, geometry, a process-shared robust mutex, a random hash key) and
// `slot_count` slots of kSlotBytes. Open addressing with linear probing, at most kMaxProbe
// slots from a key's home slot; removal shifts the following records back (no tombstones), so
// a lookup stops at the first empty slot. Keys are stored as a 16-byte digest of
// SHA-256(hash key || key): the table never holds a user name, a code or any other key text,
// and an attacker who does not know the random hash key cannot aim keys at one home slot.
//
// The region must be zero-filled shared memory (an anonymous shared mapping); format() sets
// it up once and every process then opens it with SharedTableStore.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "store/state_store.h"

namespace otp {

struct SharedTableHeader;  // the region's layout, in shared_table_store.cpp
struct SharedTableSlot;

struct SharedTableGeometry {
    static constexpr std::size_t kSlotBytes = 128;
    static constexpr std::size_t kMaxValueBytes = 96;  // the rest of a slot is its header
    static constexpr std::size_t kMaxProbe = 1024;     // slots looked at from a key's home
    static constexpr std::size_t kMinSlots = 64;

    // The number of slots a region of `bytes` holds (0 when it is too small for kMinSlots).
    static std::size_t slots_for(std::size_t bytes);
    static std::size_t header_bytes();
};

// What the table holds now, for the startup log, the README's capacity figures and tests.
struct SharedTableStats {
    std::size_t slots = 0;
    std::size_t used = 0;            // occupied slots, expired ones not yet reclaimed included
    std::uint64_t refused_full = 0;  // writes refused because no slot was free
};

class SharedTableStore final : public KeyValueStateStore {
public:
    // Formats zero-filled memory of `bytes` as an empty table. False with *error when it is
    // too small or the mutex or the random hash key cannot be set up.
    static bool format(void* region, std::size_t bytes, std::string* error);
    // True when `region` holds a table format() made for `bytes` (a restart may reuse it).
    static bool is_formatted(const void* region, std::size_t bytes);

    // A handle on a formatted region; cheap, one per request is fine. A lock that is not
    // free within lock_timeout_ms fails the operation (StoreStatus::error).
    SharedTableStore(void* region, int lock_timeout_ms);

    SharedTableStats stats();
    // Tests: a clock to set (records expire by it), and a way to run the full sweep now.
    void set_now(std::int64_t unix_time) { fixed_now_ = unix_time; }

protected:
    bool lock() override;
    void unlock() override;
    StoreStatus load(const std::string& key, Record* record) override;
    StoreStatus save(const std::string& key, const Record& record) override;
    StoreStatus erase(const std::string& key) override;
    std::int64_t now() const override;

private:
    using Header = SharedTableHeader;
    using Slot = SharedTableSlot;
    struct Digest {
        unsigned char bytes[16];
        std::size_t home;
    };
    Digest digest_of(const std::string& key) const;
    Slot* slot(std::size_t index) const;
    // Index of the live or expired record of `digest`, or nullopt.
    std::optional<std::size_t> find(const Digest& digest) const;
    std::size_t home_of(const unsigned char* digest) const;
    void remove_at(std::size_t index);
    // Reclaims the expired records around `home` (a key that found no room); at most once a
    // second, so a table full of live records does not cost a scan on every refused write.
    bool sweep_expired(std::size_t home);
    // After a process died holding the lock: drops what an interrupted operation left.
    void repair_after_crash();

    Header* header_;
    int lock_timeout_ms_;
    std::optional<std::int64_t> fixed_now_;
};

}  // namespace otp
