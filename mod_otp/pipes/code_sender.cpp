#include "mod_otp/pipes/code_sender.h"

bool CodeSender::submit(Job job) noexcept {
    try {
        std::unique_lock<std::mutex> lock(mutex_);
        if (stopping_) return false;
        if (jobs_.size() + 1 > idle_) {
            // Every idle worker has a job already: one more. Started before the job is queued,
            // so a thread that cannot start leaves the queue as it was. It waits for the lock
            // this call holds.
            threads_.reserve(threads_.size() + 1);
            threads_.emplace_back(&CodeSender::work, this);
            ++workers_;
            ++idle_;
        }
        jobs_.push_back(std::move(job));
        lock.unlock();
        wake_.notify_one();
        return true;
    } catch (...) {
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
        std::vector<std::thread> threads;
        bool finished = false;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            finished = done_.wait_for(lock, max_wait,
                                      [this] { return jobs_.empty() && running_ == 0; });
            stopping_ = true;
            threads.swap(threads_);
        }
        wake_.notify_all();
        for (std::thread& thread : threads) {
            if (finished)
                thread.join();  // idle workers leave at once
            else
                thread.detach();  // one is stuck in a job: it ends with the process
        }
    } catch (...) {
    }
}
