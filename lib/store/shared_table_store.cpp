#include "store/shared_table_store.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>

#include "crypto/digest.h"
#include "util/error.h"

namespace otp {

namespace {
constexpr char kMagic[8] = {'m', 'o', 'd', '_', 'o', 't', 'p', '1'};
constexpr std::uint32_t kVersion = 1;
}  // namespace

struct SharedTableHeader {
    char magic[8];
    std::uint32_t version;
    std::uint32_t slot_bytes;
    std::uint64_t slot_count;
    std::uint64_t used;
    std::uint64_t refused_full;
    std::int64_t last_sweep;
    unsigned char hash_key[32];
    pthread_mutex_t mutex;
};

struct SharedTableSlot {
    std::uint8_t occupied;
    std::uint8_t reserved;
    std::uint16_t value_length;
    std::uint32_t reserved2;
    std::int64_t expires;
    unsigned char digest[16];
    char value[SharedTableGeometry::kMaxValueBytes];
};
static_assert(sizeof(SharedTableSlot) == SharedTableGeometry::kSlotBytes,
              "a slot is exactly kSlotBytes");

std::size_t SharedTableGeometry::header_bytes() {
    // Slots start on a slot boundary, so each one sits in whole cache lines.
    return (sizeof(SharedTableHeader) + kSlotBytes - 1) / kSlotBytes * kSlotBytes;
}

std::size_t SharedTableGeometry::slots_for(std::size_t bytes) {
    if (bytes < header_bytes()) return 0;
    const std::size_t slots = (bytes - header_bytes()) / kSlotBytes;
    // The home slot is kept in 32 bits.
    return slots < kMinSlots || slots > 0xffffffffu ? 0 : slots;
}

bool SharedTableStore::format(void* region, std::size_t bytes, std::string* error) {
    const std::size_t slots = SharedTableGeometry::slots_for(bytes);
    if (!region || slots == 0)
        return set_error(error, "the state store needs at least " +
                                    std::to_string(SharedTableGeometry::header_bytes() +
                                                   SharedTableGeometry::kMinSlots *
                                                       SharedTableGeometry::kSlotBytes) +
                                    " bytes");
    auto key = random_bytes(sizeof(SharedTableHeader::hash_key));
    if (!key) return set_error(error, "no randomness for the state store's hash key");
    auto* header = new (region) Header{};
    std::memcpy(header->hash_key, key->data(), key->size());
    header->version = kVersion;
    header->slot_bytes = SharedTableGeometry::kSlotBytes;
    header->slot_count = slots;
    // Process-shared, so every child locks the same mutex; robust, so a child that dies
    // holding it (a crash, SIGKILL) does not stop every other one for good.
    pthread_mutexattr_t attributes;
    if (pthread_mutexattr_init(&attributes) != 0)
        return set_error(error, "cannot set up the state store's mutex");
    const bool attributes_ok =
        pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED) == 0 &&
        pthread_mutexattr_setrobust(&attributes, PTHREAD_MUTEX_ROBUST) == 0;
    const bool mutex_ok = attributes_ok && pthread_mutex_init(&header->mutex, &attributes) == 0;
    pthread_mutexattr_destroy(&attributes);
    if (!mutex_ok) return set_error(error, "cannot set up the state store's mutex");
    // The magic last: a half-formatted region is never taken for a table.
    std::memcpy(header->magic, kMagic, sizeof kMagic);
    return true;
}

bool SharedTableStore::is_formatted(const void* region, std::size_t bytes) {
    const auto* header = static_cast<const Header*>(region);
    return region && std::memcmp(header->magic, kMagic, sizeof kMagic) == 0 &&
           header->version == kVersion && header->slot_bytes == SharedTableGeometry::kSlotBytes &&
           header->slot_count == SharedTableGeometry::slots_for(bytes);
}

SharedTableStore::SharedTableStore(void* region, int lock_timeout_ms)
    : header_(static_cast<Header*>(region)), lock_timeout_ms_(lock_timeout_ms) {}

SharedTableStore::Slot* SharedTableStore::slot(std::size_t index) const {
    return reinterpret_cast<Slot*>(reinterpret_cast<char*>(header_) +
                                   SharedTableGeometry::header_bytes()) +
           index;
}

std::int64_t SharedTableStore::now() const {
    return fixed_now_ ? *fixed_now_ : static_cast<std::int64_t>(std::time(nullptr));
}

namespace {

// Keeps the compiler from reordering the stores of a slot around it: a process killed in the
// middle of a write leaves what was written before the fence (the CPU keeps program order
// for what one thread observes of its own stores, and those are what survive it).
inline void store_fence() { std::atomic_signal_fence(std::memory_order_seq_cst); }

}  // namespace

std::size_t SharedTableStore::home_of(const unsigned char* digest) const {
    std::uint64_t bits = 0;
    std::memcpy(&bits, digest, sizeof bits);
    return static_cast<std::size_t>(bits % header_->slot_count);
}

void SharedTableStore::repair_after_crash() {
    // A process died holding the lock, at any point of an operation. What it can leave:
    // a second copy of a record half way through a backward shift (remove_at copies, then
    // moves on), or a new record whose expiry is still 0 (save writes the expiry last), which
    // is an expired record. Every copy that is not the one lookups find goes; then the count.
    for (std::size_t i = 0; i < header_->slot_count; ++i) {
        while (slot(i)->occupied) {
            Digest digest{};
            std::memcpy(digest.bytes, slot(i)->digest, sizeof digest.bytes);
            digest.home = home_of(digest.bytes);
            const auto found = find(digest);
            if (found && *found == i) break;
            remove_at(i);  // a duplicate, or a record no lookup can reach
        }
    }
    std::uint64_t used = 0;
    for (std::size_t i = 0; i < header_->slot_count; ++i) used += slot(i)->occupied ? 1 : 0;
    header_->used = used;
}

bool SharedTableStore::lock() {
    if (!header_) return false;
    // A monotonic deadline: a step of the wall clock neither stretches nor cuts the wait.
    timespec deadline{};
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += lock_timeout_ms_ / 1000;
    deadline.tv_nsec += static_cast<long>(lock_timeout_ms_ % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec += 1;
        deadline.tv_nsec -= 1000000000L;
    }
    const int rc = pthread_mutex_clocklock(&header_->mutex, CLOCK_MONOTONIC, &deadline);
    if (rc == 0) return true;
    if (rc == EOWNERDEAD) {
        repair_after_crash();
        if (pthread_mutex_consistent(&header_->mutex) == 0) return true;
        pthread_mutex_unlock(&header_->mutex);
        return false;
    }
    return false;  // ETIMEDOUT, or the mutex is unusable: the operation fails closed
}

void SharedTableStore::unlock() { pthread_mutex_unlock(&header_->mutex); }

SharedTableStore::Digest SharedTableStore::digest_of(const std::string& key) const {
    std::string input(reinterpret_cast<const char*>(header_->hash_key), sizeof header_->hash_key);
    input += key;
    const std::string hash = sha256(input);
    Digest digest{};
    std::memcpy(digest.bytes, hash.data(), sizeof digest.bytes);
    // From the stored bytes, so any slot's home can be computed again (removal, repair).
    digest.home = home_of(digest.bytes);
    return digest;
}

std::optional<std::size_t> SharedTableStore::find(const Digest& digest) const {
    std::size_t index = digest.home;
    for (std::size_t probe = 0; probe < SharedTableGeometry::kMaxProbe; ++probe) {
        const Slot* s = slot(index);
        if (!s->occupied) return std::nullopt;
        if (std::memcmp(s->digest, digest.bytes, sizeof digest.bytes) == 0) return index;
        index = index + 1 == header_->slot_count ? 0 : index + 1;
    }
    return std::nullopt;
}

// Backward-shift deletion: records after the hole that may live in it move up, so every
// record stays reachable from its home without crossing an empty slot. Every record lies
// within kMaxProbe slots of its home, so one more than kMaxProbe slots past the hole has its
// home after the hole and cannot move into it: the walk stops there, also in a full table.
void SharedTableStore::remove_at(std::size_t hole) {
    const std::size_t n = header_->slot_count;
    std::size_t next = hole;
    for (std::size_t distance = 1; distance <= SharedTableGeometry::kMaxProbe; ++distance) {
        next = next + 1 == n ? 0 : next + 1;
        Slot* candidate = slot(next);
        if (!candidate->occupied || next == hole) break;
        const std::size_t home = home_of(candidate->digest);
        // The candidate may move into the hole unless its home lies cyclically in (hole, next].
        const bool home_after_hole =
            hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
        if (home_after_hole) continue;
        std::memcpy(slot(hole), candidate, sizeof(Slot));
        store_fence();
        hole = next;
        distance = 0;
    }
    std::memset(slot(hole), 0, sizeof(Slot));
    header_->used -= 1;
}

bool SharedTableStore::sweep_expired(std::size_t home) {
    const std::int64_t t = now();
    if (header_->last_sweep == t) return false;
    header_->last_sweep = t;
    // Only the slots around the key's home can make room for it: those within reach of it
    // (none of them was free or expired, or save would have taken it) and those before it,
    // whose removal lets records shift back out of its reach. A bounded scan, so one refused
    // write never holds the lock for long, whatever the table's size.
    const std::size_t n = header_->slot_count;
    const std::size_t span = std::min<std::size_t>(n, 2 * SharedTableGeometry::kMaxProbe);
    std::size_t i = (home + n - std::min<std::size_t>(n, SharedTableGeometry::kMaxProbe)) % n;
    bool reclaimed = false;
    for (std::size_t step = 0; step < span; ++step, i = i + 1 == n ? 0 : i + 1) {
        // remove_at may shift another record into i: look at the slot again.
        while (slot(i)->occupied && slot(i)->expires <= t) {
            remove_at(i);
            reclaimed = true;
        }
    }
    return reclaimed;
}

StoreStatus SharedTableStore::load(const std::string& key, Record* record) {
    const Digest digest = digest_of(key);
    const auto index = find(digest);
    if (!index) return StoreStatus::not_found;
    Slot* s = slot(*index);
    if (s->expires <= now()) {
        remove_at(*index);  // reclaimed as soon as it is seen
        return StoreStatus::not_found;
    }
    record->expires = s->expires;
    record->value.assign(s->value, s->value_length);
    return StoreStatus::ok;
}

StoreStatus SharedTableStore::save(const std::string& key, const Record& record) {
    if (record.value.size() > SharedTableGeometry::kMaxValueBytes) return StoreStatus::error;
    const Digest digest = digest_of(key);
    const std::int64_t t = now();
    std::optional<std::size_t> target = find(digest);
    for (int pass = 0; !target && pass < 2; ++pass) {
        // The first empty or expired slot within reach of the key's home.
        std::size_t index = digest.home;
        for (std::size_t probe = 0; probe < SharedTableGeometry::kMaxProbe; ++probe) {
            const Slot* s = slot(index);
            if (!s->occupied || s->expires <= t) {
                target = index;
                break;
            }
            index = index + 1 == header_->slot_count ? 0 : index + 1;
        }
        // No room: reclaim expired records everywhere (they may have pushed this key's run
        // past kMaxProbe), then look once more. Never evict a live record.
        if (!target && (pass == 1 || !sweep_expired(digest.home))) break;
    }
    if (!target) {
        header_->refused_full += 1;
        return StoreStatus::full;
    }
    Slot* s = slot(*target);
    const bool same_key =
        s->occupied && std::memcmp(s->digest, digest.bytes, sizeof digest.bytes) == 0;
    if (!s->occupied) header_->used += 1;
    if (!same_key) {
        // Another key's place (or an empty one): expired first, so a write cut short leaves
        // an expired record, never a live one with a mix of two keys' fields.
        s->expires = 0;
        store_fence();
        s->occupied = 1;
        std::memcpy(s->digest, digest.bytes, sizeof digest.bytes);
    }
    // The value, then the expiry. (An update of the same key cut short can leave a value that
    // is not a number: counters then refuse it rather than start again from 0.)
    s->value_length = static_cast<std::uint16_t>(record.value.size());
    std::memcpy(s->value, record.value.data(), record.value.size());
    store_fence();
    s->expires = record.expires;
    return StoreStatus::ok;
}

StoreStatus SharedTableStore::erase(const std::string& key) {
    const auto index = find(digest_of(key));
    if (!index) return StoreStatus::not_found;
    const bool live = slot(*index)->expires > now();
    remove_at(*index);
    return live ? StoreStatus::ok : StoreStatus::not_found;
}

SharedTableStats SharedTableStore::stats() {
    SharedTableStats stats;
    if (!lock()) return stats;
    stats.slots = header_->slot_count;
    stats.used = header_->used;
    stats.refused_full = header_->refused_full;
    unlock();
    return stats;
}

}  // namespace otp
