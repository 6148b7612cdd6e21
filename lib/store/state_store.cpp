#include "store/state_store.h"

namespace otp {
namespace {

// Gives back the counters before `stop` (and `stop` itself when `with_stop`) that ask for it.
// Best effort: a counter that cannot be given back errs on the side of fewer guesses.
void give_back(StateStore& store, const GuessCountRequest& request, std::size_t stop,
               bool with_stop) {
    const std::size_t end = with_stop ? stop + 1 : stop;
    for (std::size_t i = 0; i < end; ++i)
        if (request.counters[i].give_back) store.decrement(request.counters[i].key);
}

}  // namespace

GuessCountAnswer StateStore::count_guess(const GuessCountRequest& request) {
    GuessCountAnswer answer;
    if (!request.lock.empty()) {
        const StoreStatus lock = get(request.lock, &answer.blocker);
        if (lock == StoreStatus::error) return answer;
        if (lock == StoreStatus::ok) {
            answer.status = GuessCountAnswer::Status::locked;
            return answer;
        }
        answer.blocker.clear();
    }
    if (!request.notice.empty()) {
        const StoreStatus notice = remove(request.notice);
        if (notice == StoreStatus::error) return answer;
        answer.notice_removed = notice == StoreStatus::ok;
    }
    for (std::size_t i = 0; i < request.counters.size(); ++i) {
        const GuessCounter& counter = request.counters[i];
        std::int64_t count = 0;
        if (counter.blocker.empty()) {
            const std::optional<std::int64_t> counted = increment(counter.key, counter.ttl);
            if (!counted) return answer;
            count = *counted;
        } else {
            GuardedCount guarded = increment_unless(counter.key, counter.ttl, counter.blocker);
            if (guarded.status == GuardedCount::Status::error) return answer;
            if (guarded.status == GuardedCount::Status::blocked) {
                give_back(*this, request, i, false);
                answer.status = GuessCountAnswer::Status::blocked;
                answer.stopped_at = i;
                answer.blocker = std::move(guarded.blocker);
                return answer;
            }
            count = guarded.count;
        }
        answer.counts.push_back(count);
        if (count > counter.limit) {
            give_back(*this, request, i, true);
            answer.status = GuessCountAnswer::Status::over_limit;
            answer.stopped_at = i;
            return answer;
        }
    }
    answer.status = GuessCountAnswer::Status::counted;
    return answer;
}

}  // namespace otp
