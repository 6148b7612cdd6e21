#include "mod_otp/pipes/code_sender.h"

#include <thread>

bool CodeSender::submit(Job job) noexcept {
    try {
        std::unique_lock<std::mutex> lock(mutex_);
        if (stopping_) return false;
        jobs_.push_back(std::move(job));
        if (jobs_.size() > idle_) {  // every idle worker has a job already
            // Detached: a worker lives as long as the process (it only waits between jobs).
            std::thread(&CodeSender::work, this).detach();
            ++workers_;
            ++idle_;
        }
        lock.unlock();
        wake_.notify_one();
        return true;
    } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!jobs_.empty()) jobs_.pop_back();
        return false;
    }
}

void CodeSender::work() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) break;  // stopping
        Job job = std::move(jobs_.front());
        jobs_.pop_front();
        --idle_;
        ++running_;
        lock.unlock();
        try {
            job();
        } catch (...) {
            // A job reports its own failures; nothing may end the worker.
        }
        job = nullptr;  // its slot is given back before the worker waits again
        lock.lock();
        --running_;
        ++idle_;
        done_.notify_all();
    }
    --idle_;
    --workers_;
}

void CodeSender::drain(std::chrono::milliseconds max_wait) noexcept {
    try {
        std::unique_lock<std::mutex> lock(mutex_);
        done_.wait_for(lock, max_wait, [this] { return jobs_.empty() && running_ == 0; });
        stopping_ = true;
        lock.unlock();
        wake_.notify_all();
    } catch (...) {
    }
}
