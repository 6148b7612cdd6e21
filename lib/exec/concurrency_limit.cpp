#include "exec/concurrency_limit.h"

namespace otp {

ConcurrencyLimit::Slot& ConcurrencyLimit::Slot::operator=(Slot&& other) noexcept {
    if (this != &other) {
        release();
        owner_ = other.owner_;
        other.owner_ = nullptr;
    }
    return *this;
}

void ConcurrencyLimit::Slot::release() noexcept {
    if (owner_) owner_->in_use_.fetch_sub(1, std::memory_order_relaxed);
    owner_ = nullptr;
}

std::optional<ConcurrencyLimit::Slot> ConcurrencyLimit::try_acquire() {
    unsigned current = in_use_.load(std::memory_order_relaxed);
    // Increment only from a value below the cap: a plain fetch_add could overshoot it for a
    // moment, and two threads could then both see "over" and both back out.
    do {
        if (current >= max_.load(std::memory_order_relaxed)) return std::nullopt;
    } while (!in_use_.compare_exchange_weak(current, current + 1, std::memory_order_relaxed));
    return Slot(this);
}

}  // namespace otp
