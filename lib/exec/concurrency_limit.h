// A cap on how many external programs one process runs at once: each running program holds a
// worker thread and a process slot, and a delivery script that hangs must not be able to take
// every thread of the server. Never blocks: a request that finds the cap reached is refused at
// once rather than queued behind the programs that are stuck.
#pragma once

#include <atomic>
#include <optional>

namespace otp {

class ConcurrencyLimit {
public:
    // One of the `max` places, held until destroyed. Move-only; must not outlive its limit.
    class Slot {
    public:
        Slot(Slot&& other) noexcept : owner_(other.owner_) { other.owner_ = nullptr; }
        Slot& operator=(Slot&& other) noexcept;
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot() { release(); }

    private:
        friend class ConcurrencyLimit;
        explicit Slot(ConcurrencyLimit* owner) : owner_(owner) {}
        void release() noexcept;

        ConcurrencyLimit* owner_;
    };

    explicit ConcurrencyLimit(unsigned max) : max_(max) {}
    ConcurrencyLimit(const ConcurrencyLimit&) = delete;
    ConcurrencyLimit& operator=(const ConcurrencyLimit&) = delete;

    // A slot, or nullopt when `max` are taken. Lock-free: one compare-exchange loop.
    std::optional<Slot> try_acquire();
    unsigned in_use() const { return in_use_.load(std::memory_order_relaxed); }
    unsigned max() const { return max_.load(std::memory_order_relaxed); }
    // A lower cap takes effect as slots are released: nothing running is stopped.
    void set_max(unsigned max) { max_.store(max, std::memory_order_relaxed); }

private:
    // Only a count: the slots guard no data, so relaxed ordering is enough.
    std::atomic<unsigned> in_use_{0};
    std::atomic<unsigned> max_;
};

}  // namespace otp
