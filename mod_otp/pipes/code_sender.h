// Runs pre-pipes (OTPPrePipe) in the background of a child process: the answer to "send me a
// code" never waits for an SMS gateway or a mail server, and an unknown user, for whom nothing
// is sent, is answered in the same time as a known one (README "Delivered codes"). Each job
// already holds its OTPPipeMaxConcurrent slot, so the number of jobs, and of worker threads,
// is bounded by the limit. Workers are started as needed and then wait for the next job.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

class CodeSender {
public:
    using Job = std::function<void()>;

    CodeSender() = default;
    CodeSender(const CodeSender&) = delete;
    CodeSender& operator=(const CodeSender&) = delete;

    // Queues `job` for a worker; false when no worker can be started (no thread, no memory).
    // Never blocks on a running job and never throws.
    bool submit(Job job) noexcept;
    // Waits until every queued and running job is done, at most `max_wait`, then stops and
    // joins the workers; new jobs are refused from then on. For the child's exit: a send in
    // flight is finished, not cut off. (max_wait should exceed the longest OTPPipeTimeout: a
    // worker still running a job after it is left to end with the process.)
    void drain(std::chrono::milliseconds max_wait) noexcept;
    ~CodeSender() { drain(std::chrono::milliseconds(0)); }

private:
    void work();

    std::mutex mutex_;
    std::condition_variable wake_;  // a job was queued, or the sender stops
    std::condition_variable done_;  // a job ended
    std::deque<Job> jobs_;
    std::vector<std::thread> threads_;
    unsigned workers_ = 0;
    unsigned idle_ = 0;
    unsigned running_ = 0;
    bool stopping_ = false;
};
