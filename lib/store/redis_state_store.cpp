#include "store/redis_state_store.h"

#include <algorithm>

namespace otp {
namespace {

// Redis refuses EX 0; a record the caller wants to live "0 seconds" lives the shortest time.
std::string ttl_arg(std::int64_t ttl_seconds) {
    return std::to_string(std::max<std::int64_t>(ttl_seconds, 1));
}

bool reply_starts_with(const RedisReply& reply, std::string_view prefix) {
    return reply.is_error() && reply.text().substr(0, prefix.size()) == prefix;
}

}  // namespace

std::string RedisStateStore::prefixed(std::string_view key) const {
    std::string full = pool_.settings().prefix;
    full.append(key.data(), key.size());
    return full;
}

StoreStatus RedisStateStore::failed(std::string why, StoreStatus status) {
    ++failures_;
    if (failure_reason_.empty()) failure_reason_ = std::move(why);
    return note(status);
}

RedisReply RedisStateStore::run(const std::vector<std::string_view>& argv) {
    std::vector<std::string_view> command = argv;
    return exchange(command, nullptr);
}

RedisReply RedisStateStore::exchange(std::vector<std::string_view>& argv,
                                     const RedisScript* script) {
    // OTPStateStoreTimeout bounds what one request (this handle) waits for the store in all,
    // not each operation: a hung Redis refuses a request within the timeout, however many
    // operations it makes. Time spent elsewhere (a pipe running) does not count, and the
    // outcome of a comparison gets the timeout again (renew_timeout).
    const auto budget =
        pool_.settings().timeout - std::chrono::ceil<std::chrono::milliseconds>(waited_);
    if (budget.count() <= 0) {
        failed("redis " + pool_.settings().address.describe() +
               ": this request has waited OTPStateStoreTimeout for the store already");
        return {};
    }
    const auto started = std::chrono::steady_clock::now();
    struct Waited {
        std::chrono::microseconds& total;
        std::chrono::steady_clock::time_point since;
        ~Waited() {
            total += std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - since);
        }
    } waited{waited_, started};
    const Deadline deadline(budget);
    std::string error;
    std::optional<RedisPool::Lease> lease = pool_.acquire(deadline, &error);
    if (!lease) {
        failed(error);
        return {};
    }
    RedisConnection& connection = lease->connection();
    RedisReply reply = connection.command(argv, deadline, &error);
    if (script && reply && reply_starts_with(reply, "NOSCRIPT")) {
        argv[0] = "EVAL";
        argv[1] = script->body;
        reply = connection.command(argv, deadline, &error);
    }
    if (!reply) {
        failed(error);
        return {};
    }
    if (reply_starts_with(reply, "READONLY")) {
        // A replica since a failover: the pool finds the master again (Sentinel) for the next
        // request; this one fails closed, as a write it made could not count.
        const std::string where = "redis " + connection.endpoint().describe();
        lease->master_moved();
        failed(where + ": READONLY, the server is a replica now");
        return {};
    }
    if (reply.is_error()) {
        // A value that is not a counter, a script error, NOAUTH, OOM: the server's words,
        // bounded (they never hold a key or a value).
        failed("redis " + connection.endpoint().describe() + ": " +
               std::string(reply.text().substr(0, 200)));
        return {};
    }
    return reply;
}

RedisReply RedisStateStore::run_script(const RedisScript& script,
                                       const std::vector<std::string_view>& keys,
                                       const std::vector<std::string_view>& args) {
    std::vector<std::string> full_keys;
    full_keys.reserve(keys.size());
    for (std::string_view key : keys) full_keys.push_back(prefixed(key));
    const std::string key_count = std::to_string(keys.size());
    std::vector<std::string_view> argv{"EVALSHA", script.sha1, key_count};
    argv.insert(argv.end(), full_keys.begin(), full_keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return exchange(argv, &script);
}

StoreStatus RedisStateStore::add(std::string_view key, std::string_view value,
                                 std::int64_t ttl_seconds) {
    clear_failure();
    const std::string full = prefixed(key);
    const std::string ttl = ttl_arg(ttl_seconds);
    RedisReply reply = run({"SET", full, value, "EX", ttl, "NX"});
    if (!reply) return StoreStatus::error;
    if (reply.is_status()) return StoreStatus::ok;
    if (reply.is_nil()) return StoreStatus::exists;
    return failed("redis SET NX: unexpected reply");
}

std::optional<std::int64_t> RedisStateStore::increment(std::string_view key,
                                                       std::int64_t ttl_seconds) {
    clear_failure();
    const std::string ttl = ttl_arg(ttl_seconds);
    RedisReply reply = run_script(redis_increment_script(), {key}, {ttl});
    if (!reply) return std::nullopt;
    if (!reply.is_integer()) {
        failed("redis increment: unexpected reply");
        return std::nullopt;
    }
    return reply.integer();
}

std::optional<std::int64_t> RedisStateStore::decrement(std::string_view key) {
    clear_failure();
    RedisReply reply = run_script(redis_decrement_script(), {key}, {});
    if (!reply) return std::nullopt;
    if (!reply.is_integer()) {
        failed("redis decrement: unexpected reply");
        return std::nullopt;
    }
    return reply.integer();
}

GuardedCount RedisStateStore::increment_unless(std::string_view key, std::int64_t ttl_seconds,
                                               std::string_view blocker) {
    clear_failure();
    GuardedCount answer;
    const std::string ttl = ttl_arg(ttl_seconds);
    RedisReply reply = run_script(redis_increment_unless_script(), {key, blocker}, {ttl});
    if (!reply) return answer;
    std::int64_t flag = -1;
    if (reply.elements() != 2 || !RedisReply::element_integer(reply.element(0), &flag)) {
        failed("redis increment_unless: unexpected reply");
        return answer;
    }
    if (flag == 0 && RedisReply::element_is_string(reply.element(1))) {
        answer.status = GuardedCount::Status::blocked;
        answer.blocker = std::string(RedisReply::element_text(reply.element(1)));
        return answer;
    }
    if (flag == 1 && RedisReply::element_integer(reply.element(1), &answer.count)) {
        answer.status = GuardedCount::Status::counted;
        return answer;
    }
    failed("redis increment_unless: unexpected reply");
    return answer;
}

std::optional<bool> RedisStateStore::advance(std::string_view key, std::uint64_t value,
                                             std::int64_t ttl_seconds) {
    clear_failure();
    const std::string number = std::to_string(value);
    const std::string ttl = ttl_arg(ttl_seconds);
    RedisReply reply = run_script(redis_advance_script(), {key}, {number, ttl});
    if (!reply) return std::nullopt;
    if (!reply.is_integer() || (reply.integer() != 0 && reply.integer() != 1)) {
        failed("redis advance: unexpected reply");
        return std::nullopt;
    }
    return reply.integer() == 1;
}

StoreStatus RedisStateStore::compare_and_set(std::string_view key, std::string_view expected,
                                             std::string_view desired, std::int64_t ttl_seconds) {
    clear_failure();
    const std::string ttl = ttl_arg(ttl_seconds);
    RedisReply reply = run_script(redis_compare_and_set_script(), {key}, {expected, desired, ttl});
    if (!reply) return StoreStatus::error;
    if (reply.is_integer()) {
        if (reply.integer() == 1) return StoreStatus::ok;
        if (reply.integer() == 0) return StoreStatus::exists;
        if (reply.integer() == -1) return StoreStatus::not_found;
    }
    return failed("redis compare_and_set: unexpected reply");
}

StoreStatus RedisStateStore::put(std::string_view key, std::string_view value,
                                 std::int64_t ttl_seconds) {
    clear_failure();
    const std::string full = prefixed(key);
    const std::string ttl = ttl_arg(ttl_seconds);
    RedisReply reply = run({"SET", full, value, "EX", ttl});
    if (!reply) return StoreStatus::error;
    if (reply.is_status()) return StoreStatus::ok;
    return failed("redis SET: unexpected reply");
}

StoreStatus RedisStateStore::get(std::string_view key, std::string* value) {
    clear_failure();
    const std::string full = prefixed(key);
    RedisReply reply = run({"GET", full});
    if (!reply) return StoreStatus::error;
    if (reply.is_nil()) return StoreStatus::not_found;
    if (!reply.is_string()) return failed("redis GET: unexpected reply");
    if (value) *value = std::string(reply.text());
    return StoreStatus::ok;
}

StoreStatus RedisStateStore::remove(std::string_view key) {
    clear_failure();
    const std::string full = prefixed(key);
    RedisReply reply = run({"DEL", full});
    if (!reply) return StoreStatus::error;
    if (!reply.is_integer()) return failed("redis DEL: unexpected reply");
    return reply.integer() > 0 ? StoreStatus::ok : StoreStatus::not_found;
}

GuessCountAnswer RedisStateStore::count_guess(const GuessCountRequest& request) {
    clear_failure();
    GuessCountAnswer answer;
    std::vector<std::string_view> keys{request.lock, request.notice};
    std::vector<std::string> numbers;  // the ttls and limits, kept alive for the views
    numbers.reserve(request.counters.size() * 2);
    std::vector<std::string_view> args{request.lock.empty() ? "0" : "1",
                                       request.notice.empty() ? "0" : "1"};
    for (const GuessCounter& counter : request.counters) {
        keys.push_back(counter.key);
        keys.push_back(counter.blocker);
        numbers.push_back(ttl_arg(counter.ttl));
        args.push_back(numbers.back());
        numbers.push_back(std::to_string(counter.limit));
        args.push_back(numbers.back());
        args.push_back(counter.give_back ? "1" : "0");
        args.push_back(counter.blocker.empty() ? "0" : "1");
    }
    RedisReply reply = run_script(redis_count_guess_script(), keys, args);
    if (!reply) return answer;
    std::int64_t status = -1, stopped = -1, removed = -1;
    const std::size_t counts = reply.elements() >= 4 ? reply.elements() - 4 : 0;
    if (reply.elements() < 4 || !RedisReply::element_integer(reply.element(0), &status) ||
        !RedisReply::element_integer(reply.element(1), &stopped) ||
        !RedisReply::element_is_string(reply.element(2)) ||
        !RedisReply::element_integer(reply.element(3), &removed) || status < 0 || status > 3 ||
        stopped < 0 ||
        (status >= 2 && static_cast<std::size_t>(stopped) >= request.counters.size()) ||
        counts > request.counters.size()) {
        failed("redis count_guess: unexpected reply");
        return answer;
    }
    for (std::size_t i = 0; i < counts; ++i) {
        std::int64_t count = 0;
        if (!RedisReply::element_integer(reply.element(4 + i), &count)) {
            failed("redis count_guess: unexpected reply");
            return answer;
        }
        answer.counts.push_back(count);
    }
    static constexpr GuessCountAnswer::Status kStatus[] = {
        GuessCountAnswer::Status::counted, GuessCountAnswer::Status::locked,
        GuessCountAnswer::Status::blocked, GuessCountAnswer::Status::over_limit};
    answer.status = kStatus[status];
    answer.stopped_at = static_cast<std::size_t>(stopped);
    answer.blocker = std::string(RedisReply::element_text(reply.element(2)));
    answer.notice_removed = removed == 1;
    return answer;
}

}  // namespace otp
