#include "store/state_store.h"
#include "util/numbers.h"

namespace otp {

class KeyValueStateStore::Guard {
public:
    explicit Guard(KeyValueStateStore& store) : store_(store) {
        store_.clear_failure();
        locked_ = store_.lock();
        if (!locked_) store_.note(StoreStatus::error);
    }
    ~Guard() {
        if (locked_) store_.unlock();
    }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;
    bool locked() const { return locked_; }

private:
    KeyValueStateStore& store_;
    bool locked_ = false;
};

StoreStatus KeyValueStateStore::add(std::string_view key, std::string_view value,
                                    std::int64_t ttl_seconds) {
    Guard guard(*this);
    if (!guard.locked()) return StoreStatus::error;
    std::string k(key);
    Record existing;
    StoreStatus status = checked_load(k, &existing);
    if (status == StoreStatus::ok) return StoreStatus::exists;
    if (status != StoreStatus::not_found) return StoreStatus::error;
    return checked_save(k, Record{std::string(value), now() + ttl_seconds});
}

std::optional<std::int64_t> KeyValueStateStore::increment(std::string_view key,
                                                          std::int64_t ttl_seconds) {
    Guard guard(*this);
    if (!guard.locked()) return std::nullopt;
    return increment_locked(std::string(key), ttl_seconds);
}

std::optional<std::int64_t> KeyValueStateStore::decrement(std::string_view key) {
    Guard guard(*this);
    if (!guard.locked()) return std::nullopt;
    return decrement_locked(std::string(key));
}

std::optional<std::int64_t> KeyValueStateStore::decrement_locked(const std::string& k) {
    Record record;
    StoreStatus status = checked_load(k, &record);
    if (status == StoreStatus::not_found) return 0;
    if (status != StoreStatus::ok) return std::nullopt;
    auto current = parse_decimal<std::int64_t>(record.value);
    if (!current) {
        note(StoreStatus::error);  // not a counter: refuse rather than reset it
        return std::nullopt;
    }
    const std::int64_t next = *current > 0 ? *current - 1 : 0;
    record.value = std::to_string(next);
    if (checked_save(k, record) != StoreStatus::ok) return std::nullopt;
    return next;
}

GuardedCount KeyValueStateStore::increment_unless(std::string_view key, std::int64_t ttl_seconds,
                                                  std::string_view blocker) {
    GuardedCount answer;
    Guard guard(*this);
    if (!guard.locked()) return answer;
    Record lock;
    StoreStatus status = checked_load(std::string(blocker), &lock);
    if (status == StoreStatus::ok) {
        answer.status = GuardedCount::Status::blocked;
        answer.blocker = std::move(lock.value);
        return answer;
    }
    if (status != StoreStatus::not_found) return answer;
    auto count = increment_locked(std::string(key), ttl_seconds);
    if (!count) return answer;
    answer.status = GuardedCount::Status::counted;
    answer.count = *count;
    return answer;
}

std::optional<std::int64_t> KeyValueStateStore::increment_locked(const std::string& key,
                                                                 std::int64_t ttl_seconds) {
    Record record;
    StoreStatus status = checked_load(key, &record);
    std::int64_t next = 1;
    if (status == StoreStatus::ok) {
        auto current = parse_decimal<std::int64_t>(record.value);
        if (!current) {
            note(StoreStatus::error);  // not a counter: refuse rather than reset it
            return std::nullopt;
        }
        next = *current + 1;
    } else if (status == StoreStatus::not_found) {
        record.expires = now() + ttl_seconds;
    } else {
        return std::nullopt;
    }
    record.value = std::to_string(next);
    if (checked_save(key, record) != StoreStatus::ok) return std::nullopt;
    return next;
}

std::optional<bool> KeyValueStateStore::advance(std::string_view key, std::uint64_t value,
                                                std::int64_t ttl_seconds) {
    Guard guard(*this);
    if (!guard.locked()) return std::nullopt;
    std::string k(key);
    Record record;
    StoreStatus status = checked_load(k, &record);
    if (status == StoreStatus::ok) {
        // Unsigned, as stored: a time step or counter above INT64_MAX must not make every
        // later advance of the record an error.
        auto current = parse_decimal<std::uint64_t>(record.value);
        if (!current) {
            note(StoreStatus::error);
            return std::nullopt;
        }
        if (*current >= value) return false;
    } else if (status != StoreStatus::not_found) {
        return std::nullopt;
    }
    if (checked_save(k, Record{std::to_string(value), now() + ttl_seconds}) != StoreStatus::ok)
        return std::nullopt;
    return true;
}

GuessCountAnswer KeyValueStateStore::count_guess(const GuessCountRequest& request) {
    // Under one hold of the store lock, so a guess given back can never meet a counter that
    // another request reset or rewrote in between (a lockout's in_counter put, a success's
    // removal): giving back is then the same as never having counted.
    GuessCountAnswer answer;
    Guard guard(*this);
    if (!guard.locked()) return answer;
    Record record;
    if (!request.lock.empty()) {
        const StoreStatus lock = checked_load(request.lock, &record);
        if (lock == StoreStatus::ok) {
            answer.status = GuessCountAnswer::Status::locked;
            answer.blocker = std::move(record.value);
            return answer;
        }
        if (lock != StoreStatus::not_found) return answer;
    }
    if (!request.notice.empty()) {
        const StoreStatus notice = checked_erase(request.notice);
        if (notice == StoreStatus::error) return answer;
        answer.notice_removed = notice == StoreStatus::ok;
    }
    // Gives back the counters before `end` that ask for it (best effort: a counter that cannot
    // be given back errs on the side of fewer guesses).
    const auto give_back = [&](std::size_t end) {
        for (std::size_t i = 0; i < end; ++i)
            if (request.counters[i].give_back) decrement_locked(request.counters[i].key);
    };
    for (std::size_t i = 0; i < request.counters.size(); ++i) {
        const GuessCounter& counter = request.counters[i];
        if (!counter.blocker.empty()) {
            const StoreStatus blocked = checked_load(counter.blocker, &record);
            if (blocked == StoreStatus::ok) {
                give_back(i);
                answer.status = GuessCountAnswer::Status::blocked;
                answer.stopped_at = i;
                answer.blocker = std::move(record.value);
                return answer;
            }
            if (blocked != StoreStatus::not_found) return answer;
        }
        const std::optional<std::int64_t> count = increment_locked(counter.key, counter.ttl);
        if (!count) return answer;
        answer.counts.push_back(*count);
        if (*count > counter.limit) {
            give_back(i + 1);
            answer.status = GuessCountAnswer::Status::over_limit;
            answer.stopped_at = i;
            return answer;
        }
    }
    answer.status = GuessCountAnswer::Status::counted;
    return answer;
}

StoreStatus KeyValueStateStore::compare_and_set(std::string_view key, std::string_view expected,
                                                std::string_view desired,
                                                std::int64_t ttl_seconds) {
    Guard guard(*this);
    if (!guard.locked()) return StoreStatus::error;
    const std::string k(key);
    Record record;
    const StoreStatus status = checked_load(k, &record);
    if (status != StoreStatus::ok) return status;  // not_found, or error
    if (record.value != expected) return StoreStatus::exists;
    return checked_save(k, Record{std::string(desired), now() + ttl_seconds});
}

StoreStatus KeyValueStateStore::put(std::string_view key, std::string_view value,
                                    std::int64_t ttl_seconds) {
    Guard guard(*this);
    if (!guard.locked()) return StoreStatus::error;
    return checked_save(std::string(key), Record{std::string(value), now() + ttl_seconds});
}

StoreStatus KeyValueStateStore::get(std::string_view key, std::string* value) {
    Guard guard(*this);
    if (!guard.locked()) return StoreStatus::error;
    Record record;
    StoreStatus status = checked_load(std::string(key), &record);
    if (status == StoreStatus::ok && value) *value = std::move(record.value);
    return status;
}

StoreStatus KeyValueStateStore::remove(std::string_view key) {
    Guard guard(*this);
    if (!guard.locked()) return StoreStatus::error;
    return checked_erase(std::string(key));
}

}  // namespace otp
