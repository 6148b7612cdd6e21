// Shared state between every request, thread and process of a server: replay records, linger
// records and (later) attempt counters and lockouts. The module implements it on Apache's
// socache providers behind a global mutex; MemoryStateStore serves unit tests and tools.
// Each operation is atomic with respect to every other operation on the same store.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace otp {

// The one way to name a record: its id (a hash, or a random id) first, then its kind
// ("guesses", "lock", "totp", "session", ...; README "State store"). With the kind after the
// id, a backend that groups keys by their first bytes (mod_socache_shmcb picks its subcache
// from the first byte) spreads every kind over all its parts alike.
inline std::string record_key(std::string_view id, std::string_view kind) {
    std::string key;
    key.reserve(id.size() + 1 + kind.size());
    key.append(id.data(), id.size());
    key += '.';
    key.append(kind.data(), kind.size());
    return key;
}

// full: the store had no room for a new record and refused it rather than forget a live one
// (only stores of a fixed size answer it).
enum class StoreStatus { ok, exists, not_found, error, full };

// The answer of increment_unless.
struct GuardedCount {
    enum class Status { counted, blocked, error };
    Status status = Status::error;
    std::int64_t count = 0;  // counted: the counter's new value
    std::string blocker;     // blocked: the blocking entry's value
};

// One guess's admission (LoginLimits::admit) as one atomic step of the store: a lock checked,
// an unlock notice taken, then counters counted in order, each maybe blocked by a lock of
// its own and each with a limit. One step, not several: a guess refused at a limit is given
// back, and given back in a later step it could undo another request's reset of the counter
// (a lockout held in the counter, a success) and hand out more guesses than the limit. A
// store behind a network does it in one round trip (four operations otherwise).
struct GuessCounter {
    std::string key;         // the counter
    std::int64_t ttl = 0;    // lifetime of a new counter; counting keeps an existing one's
    std::int64_t limit = 0;  // a count above it refuses the guess
    std::string blocker;     // a live entry here refuses the guess before this counts (empty:
                             // none); as increment_unless, in one step with the count
    // Decremented again when the guess is refused at this counter or a later one: the guess
    // was never compared, so it must not use up the budget.
    bool give_back = true;
};

struct GuessCountRequest {
    std::string lock;    // a live entry here refuses before anything is counted (empty: none)
    std::string notice;  // removed when not locked; whether it existed is answered (empty: none)
    std::vector<GuessCounter> counters;  // counted in this order
};

struct GuessCountAnswer {
    enum class Status { counted, locked, blocked, over_limit, error };
    Status status = Status::error;
    std::size_t stopped_at = 0;        // blocked, over_limit: the counter that refused
    std::string blocker;               // locked, blocked: the blocking entry's value
    std::vector<std::int64_t> counts;  // the new value of each counter counted (over_limit:
                                       // up to and with stopped_at, before any give-back)
    bool notice_removed = false;
};

class StateStore {
public:
    virtual ~StateStore() = default;

    // Stores value under key for ttl_seconds unless a live entry exists (then: exists).
    virtual StoreStatus add(std::string_view key, std::string_view value,
                            std::int64_t ttl_seconds) = 0;
    // Adds 1 to the counter under key (a missing or expired entry counts as 0) and returns
    // the new value. A new entry lives ttl_seconds; incrementing keeps the original expiry.
    virtual std::optional<std::int64_t> increment(std::string_view key,
                                                  std::int64_t ttl_seconds) = 0;
    // Subtracts 1 from a live counter (never below 0) and returns the new value; a missing or
    // expired entry stays missing (0). Gives back a guess that turned out to be no failure.
    virtual std::optional<std::int64_t> decrement(std::string_view key) = 0;
    // One atomic step: when a live entry exists under `blocker` (a lock), answers blocked with
    // its value and counts nothing; otherwise increments `key` as increment() does. Admission
    // needs both in one step: a request that saw "not locked" and counted later could start a
    // counter afresh that the lock had just cleared, and get more guesses than the limit.
    virtual GuardedCount increment_unless(std::string_view key, std::int64_t ttl_seconds,
                                          std::string_view blocker) = 0;
    // Stores `value` only if no live entry exists or the stored number is smaller; returns
    // true if it stored. (Replay protection: a time step may only move forward.)
    virtual std::optional<bool> advance(std::string_view key, std::uint64_t value,
                                        std::int64_t ttl_seconds) = 0;
    // Replaces the live entry under key with `desired` (living ttl_seconds from now) only if
    // its value is `expected`: ok when replaced, exists when the value differs, not_found when
    // there is no live entry. For records that move from one state to the next exactly once
    // (a flow: a delivered code's uses, a two-way step), whatever runs in parallel.
    virtual StoreStatus compare_and_set(std::string_view key, std::string_view expected,
                                        std::string_view desired, std::int64_t ttl_seconds) = 0;
    // Stores value under key for ttl_seconds, replacing any entry.
    virtual StoreStatus put(std::string_view key, std::string_view value,
                            std::int64_t ttl_seconds) = 0;
    virtual StoreStatus get(std::string_view key, std::string* value) = 0;
    virtual StoreStatus remove(std::string_view key) = 0;
    // The admission of one guess (GuessCountRequest), atomic as a whole. error when the store
    // failed (nothing more is counted after the failure).
    virtual GuessCountAnswer count_guess(const GuessCountRequest& request) = 0;

    // The caller starts a new step that gets the store's whole timeout again: the verifier
    // after a comparison, so that recording its outcome (a lock, a revocation) is not starved
    // by what the admission waited. Only stores that bound a handle's total wait use it.
    virtual void renew_timeout() {}

    // Why the last operation on this handle failed: full when the store had no room, error
    // otherwise; ok when it succeeded. Operations that answer std::nullopt or a
    // GuardedCount error say no more than that; events and HTTP answers need the difference.
    StoreStatus last_failure() const { return last_failure_; }

protected:
    // Each operation starts with no failure recorded.
    void clear_failure() { last_failure_ = StoreStatus::ok; }
    // Records a failure (error or full) for last_failure(); returns `status` unchanged.
    StoreStatus note(StoreStatus status) {
        if (status == StoreStatus::error || status == StoreStatus::full) last_failure_ = status;
        return status;
    }

private:
    StoreStatus last_failure_ = StoreStatus::ok;
};

// The compound operations (add-if-absent, increment, advance) written once on top of a
// backend that can load, save and erase one record while holding a store-wide lock. The socache
// store of the module and MemoryStateStore are such backends.
class KeyValueStateStore : public StateStore {
public:
    StoreStatus add(std::string_view key, std::string_view value,
                    std::int64_t ttl_seconds) override;
    std::optional<std::int64_t> increment(std::string_view key, std::int64_t ttl_seconds) override;
    std::optional<std::int64_t> decrement(std::string_view key) override;
    GuardedCount increment_unless(std::string_view key, std::int64_t ttl_seconds,
                                  std::string_view blocker) override;
    std::optional<bool> advance(std::string_view key, std::uint64_t value,
                                std::int64_t ttl_seconds) override;
    StoreStatus compare_and_set(std::string_view key, std::string_view expected,
                                std::string_view desired, std::int64_t ttl_seconds) override;
    StoreStatus put(std::string_view key, std::string_view value,
                    std::int64_t ttl_seconds) override;
    StoreStatus get(std::string_view key, std::string* value) override;
    StoreStatus remove(std::string_view key) override;
    GuessCountAnswer count_guess(const GuessCountRequest& request) override;

protected:
    struct Record {
        std::string value;
        std::int64_t expires = 0;  // unix time
    };
    // Held around every operation; false when the lock cannot be taken (then: error).
    virtual bool lock() = 0;
    virtual void unlock() = 0;
    // not_found for a missing or expired record.
    virtual StoreStatus load(const std::string& key, Record* record) = 0;
    virtual StoreStatus save(const std::string& key, const Record& record) = 0;
    virtual StoreStatus erase(const std::string& key) = 0;
    virtual std::int64_t now() const = 0;

private:
    class Guard;
    // The backend calls, with failures recorded for last_failure().
    StoreStatus checked_load(const std::string& key, Record* record) {
        return note(load(key, record));
    }
    StoreStatus checked_save(const std::string& key, const Record& record) {
        return note(save(key, record));
    }
    StoreStatus checked_erase(const std::string& key) { return note(erase(key)); }
    // increment() and decrement() with the store lock already held.
    std::optional<std::int64_t> increment_locked(const std::string& key, std::int64_t ttl_seconds);
    std::optional<std::int64_t> decrement_locked(const std::string& key);
};

// A process-local store with a clock that tests can set.
class MemoryStateStore final : public KeyValueStateStore {
public:
    void set_now(std::int64_t unix_time) { fixed_now_ = unix_time; }

protected:
    bool lock() override;
    void unlock() override;
    StoreStatus load(const std::string& key, Record* record) override;
    StoreStatus save(const std::string& key, const Record& record) override;
    StoreStatus erase(const std::string& key) override;
    std::int64_t now() const override;

private:
    std::mutex mutex_;
    std::unordered_map<std::string, Record> records_;
    std::optional<std::int64_t> fixed_now_;
};

}  // namespace otp
