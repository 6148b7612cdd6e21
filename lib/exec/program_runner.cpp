#include "exec/program_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <chrono>
#include <climits>
#include <cstdint>
#include <exception>
#include <new>
#include <utility>

#include "util/ascii.h"
#include "util/error.h"
#include "util/unique_fd.h"

#if !defined(__GLIBC__) || !__GLIBC_PREREQ(2, 34)
#error "lib/exec needs glibc 2.34 or later (posix_spawn_file_actions_addclosefrom_np)"
#endif

namespace otp {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kMarker = "[redacted]";
// Without pidfd_open the exit is noticed by waitpid(WNOHANG) at this interval.
constexpr int kPollTickMs = 5;
constexpr std::size_t kChunkBytes = 16384;
// Bytes read from one pipe per poll round: a program that writes without pause cannot keep
// the loop from looking at the deadline and at its exit.
constexpr std::size_t kRoundBytes = 8 * kChunkBytes;
// After the exit at most this much more is read from each pipe: a child the program left
// behind may hold the pipes open and keep writing.
constexpr std::size_t kDrainBytes = std::size_t{1} << 20;
// Keeps the deadline (nanoseconds in 64 bits) far from overflow: about 11 days.
constexpr std::int64_t kMaxTimeoutMs = 1'000'000'000;

std::size_t saturating_add(std::size_t a, std::size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }
std::size_t saturating_mul(std::size_t a, std::size_t b) {
    return (b != 0 && a > SIZE_MAX / b) ? SIZE_MAX : a * b;
}

// ---- stderr lines ------------------------------------------------------------------------

void replace_unprintable(std::string* text) {
    for (char& c : *text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7e) c = '?';
    }
}

bool matches_at(std::string_view text, std::size_t at, std::string_view secret) {
    return text.size() - at >= secret.size() &&
           equals_ignoring_case(text.substr(at, secret.size()), secret);
}

bool contains_ignoring_case(std::string_view text, std::string_view secret) {
    for (std::size_t at = 0; at + secret.size() <= text.size(); ++at)
        if (matches_at(text, at, secret)) return true;
    return false;
}

// Every occurrence of `secret` (not empty), left to right, replaced by the marker.
std::string redact_all(std::string_view text, std::string_view secret) {
    std::string out;
    out.reserve(text.size());
    std::size_t at = 0;
    while (at < text.size()) {
        if (matches_at(text, at, secret)) {
            out += kMarker;
            at += secret.size();
        } else {
            out += text[at++];
        }
    }
    return out;
}

// How much of a raw line must be kept for its first `line_bytes` after redaction to be right:
// an occurrence of the code that starts in the part that stays visible must be seen whole, or a
// piece of it would survive the cut. A code of up to 10 bytes never shrinks into the marker, so
// the visible part comes from the first line_bytes raw bytes; a longer code shrinks, and each
// visible byte then stands for at most ceil(n / 10) raw bytes.
std::size_t raw_line_cap(std::size_t line_bytes, std::size_t secret_bytes) {
    const std::size_t per_visible_byte =
        std::max<std::size_t>(1, (secret_bytes + kMarker.size() - 1) / kMarker.size());
    return saturating_add(saturating_mul(line_bytes, per_visible_byte), secret_bytes);
}

// Assembles stderr into whole lines before anything is cut or redacted, so that a code split
// across two read() chunks, or across the length limit, is still found. Memory stays bounded:
// a line keeps only its first raw_line_cap bytes, lines past the limit are only counted.
class StderrLines {
public:
    StderrLines(const RunLimits& limits, std::string_view secret)
        : max_lines_(limits.max_stderr_lines),
          max_line_bytes_(limits.max_line_bytes),
          secret_(secret),
          raw_cap_(raw_line_cap(limits.max_line_bytes, secret.size())) {
        // The secret is matched against sanitized text, so it is sanitized the same way.
        replace_unprintable(&secret_);
    }

    void add(std::string_view bytes) {
        while (!bytes.empty()) {
            const std::size_t newline = bytes.find('\n');
            const std::string_view part = bytes.substr(0, newline);
            if (!part.empty()) {
                in_line_ = true;
                if (keeping() && raw_.size() < raw_cap_)
                    raw_.append(part.substr(0, raw_cap_ - raw_.size()));
            }
            if (newline == std::string_view::npos) return;
            end_line();
            bytes.remove_prefix(newline + 1);
        }
    }

    void discard(std::size_t bytes) { discarded_ = saturating_add(discarded_, bytes); }

    std::vector<std::string> take() {
        if (in_line_) end_line();  // a last line without '\n'
        if (dropped_ > 0) lines_.push_back("... " + std::to_string(dropped_) + " more lines");
        if (discarded_ > 0)
            lines_.push_back("... " + std::to_string(discarded_) + " more bytes of stderr discarded");
        return std::move(lines_);
    }

private:
    bool keeping() const { return lines_.size() < max_lines_; }

    void end_line() {
        if (keeping())
            lines_.push_back(finished(std::move(raw_)));
        else
            ++dropped_;
        raw_.clear();
        in_line_ = false;
    }

    // Sanitize, redact, and only then cut: the cut can split the marker, never the code.
    std::string finished(std::string line) const {
        if (!line.empty() && line.back() == '\r') line.pop_back();  // CRLF line ends
        replace_unprintable(&line);
        if (!secret_.empty()) {
            line = redact_all(line, secret_);
            // A code made of the marker's own characters ("d]") could be spelled by the marker
            // and its neighbours: then nothing of the line is kept.
            if (contains_ignoring_case(line, secret_)) line.assign(kMarker);
        }
        if (line.size() > max_line_bytes_) line.resize(max_line_bytes_);
        return line;
    }

    const std::size_t max_lines_;
    const std::size_t max_line_bytes_;
    std::string secret_;
    const std::size_t raw_cap_;
    std::string raw_;       // the current line's first raw_cap_ bytes
    bool in_line_ = false;  // bytes came since the last '\n'
    std::vector<std::string> lines_;
    std::size_t dropped_ = 0;
    std::size_t discarded_ = 0;
};

// ---- SIGPIPE -----------------------------------------------------------------------------

// A write to a pipe whose reader has gone raises SIGPIPE, which kills the whole server unless it
// ignores the signal (httpd does; lib/ does not count on it). So SIGPIPE is blocked in this
// thread for the run; a SIGPIPE one of our writes raised then stays pending for this thread and
// is taken back with sigtimedwait before the mask is restored. One that was pending before is
// left alone: it is not ours (and signals of one number do not queue, so ours merged into it).
class SigpipeBlocked {
public:
    SigpipeBlocked() {
        sigemptyset(&sigpipe_);
        sigaddset(&sigpipe_, SIGPIPE);
        sigemptyset(&previous_);
        pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
        sigset_t pending;
        sigemptyset(&pending);
        was_pending_ = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeBlocked() {
        const int saved_errno = errno;
        if (raised_ && !was_pending_) {
            const timespec zero{0, 0};
            while (sigtimedwait(&sigpipe_, nullptr, &zero) < 0 && errno == EINTR) {
            }
        }
        if (sigismember(&previous_, SIGPIPE) != 1) pthread_sigmask(SIG_UNBLOCK, &sigpipe_, nullptr);
        errno = saved_errno;
    }
    SigpipeBlocked(const SigpipeBlocked&) = delete;
    SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

    void note_epipe() { raised_ = true; }

private:
    sigset_t sigpipe_;
    sigset_t previous_;
    bool was_pending_ = false;
    bool raised_ = false;
};

// ---- spawning ----------------------------------------------------------------------------

struct Pipe {
    UniqueFd read;
    UniqueFd write;
};

// Our descriptors are kept above 2, so that the child's dup2 onto 0, 1 and 2 cannot overwrite
// one of them before it is duplicated (a process started with 0..2 closed gets pipes there).
bool lift_above_stdio(UniqueFd* fd) {
    if (fd->get() > 2) return true;
    const int moved = ::fcntl(fd->get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return false;
    fd->reset(moved);
    return true;
}

// 0 or an errno value. O_CLOEXEC: a program another thread starts at the same moment (by
// fork+exec, as mod_cgi does, with no closefrom) never inherits our ends.
int make_pipe(Pipe* pipe) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return errno;
    pipe->read.reset(fds[0]);
    pipe->write.reset(fds[1]);
    if (!lift_above_stdio(&pipe->read) || !lift_above_stdio(&pipe->write)) return errno;
    return 0;
}

// Only our ends: O_NONBLOCK belongs to an open file description, and the program's ends are
// other descriptions, so the program still sees ordinary blocking pipes.
int set_nonblocking(const UniqueFd& fd) {
    const int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0) return errno;
    return 0;
}

// The process the program starts as: its own process group (a timeout kills its children with
// it; a terminal's or httpd's signals to our group miss it), no blocked signal, and every
// signal at its default action: ignored dispositions (httpd ignores SIGPIPE) survive exec.
class SpawnAttributes {
public:
    SpawnAttributes() : init_error_(posix_spawnattr_init(&attr_)) {}
    ~SpawnAttributes() {
        if (init_error_ == 0) posix_spawnattr_destroy(&attr_);
    }
    SpawnAttributes(const SpawnAttributes&) = delete;
    SpawnAttributes& operator=(const SpawnAttributes&) = delete;

    int configure() {
        if (init_error_ != 0) return init_error_;
        sigset_t none;
        sigemptyset(&none);
        sigset_t all;
        // glibc's sigfillset leaves out its two internal signals (32, 33), which its
        // posix_spawn itself sets to SIG_IGN in the child: no program of glibc sees them.
        sigfillset(&all);
        sigdelset(&all, SIGKILL);
        sigdelset(&all, SIGSTOP);
        const short flags = POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
        if (int rc = posix_spawnattr_setflags(&attr_, flags)) return rc;
        if (int rc = posix_spawnattr_setpgroup(&attr_, 0)) return rc;
        if (int rc = posix_spawnattr_setsigmask(&attr_, &none)) return rc;
        return posix_spawnattr_setsigdefault(&attr_, &all);
    }
    const posix_spawnattr_t* get() const { return &attr_; }

private:
    posix_spawnattr_t attr_;
    const int init_error_;
};

// The program's descriptors: the three pipe ends on 0, 1 and 2, and nothing else (listening
// sockets, log files, another request's pipes that were opened without O_CLOEXEC).
class SpawnFileActions {
public:
    SpawnFileActions() : init_error_(posix_spawn_file_actions_init(&actions_)) {}
    ~SpawnFileActions() {
        if (init_error_ == 0) posix_spawn_file_actions_destroy(&actions_);
    }
    SpawnFileActions(const SpawnFileActions&) = delete;
    SpawnFileActions& operator=(const SpawnFileActions&) = delete;

    int configure(int stdin_fd, int stdout_fd, int stderr_fd) {
        if (init_error_ != 0) return init_error_;
        if (int rc = posix_spawn_file_actions_adddup2(&actions_, stdin_fd, 0)) return rc;
        if (int rc = posix_spawn_file_actions_adddup2(&actions_, stdout_fd, 1)) return rc;
        if (int rc = posix_spawn_file_actions_adddup2(&actions_, stderr_fd, 2)) return rc;
        return posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
    }
    const posix_spawn_file_actions_t* get() const { return &actions_; }

private:
    posix_spawn_file_actions_t actions_;
    const int init_error_;
};

// ---- the running program -----------------------------------------------------------------

// Owns the started program until it is reaped; destroyed earlier (an exception), it kills the
// program's group and reaps it, so that no path leaves a zombie or a runaway program.
class Child {
public:
    explicit Child(pid_t pid) : pid_(pid) {}
    ~Child() {
        if (reaped_) return;
        kill_group();
        reap(0);
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    // SIGKILL to the program's process group, and to the program itself should it have left
    // the group. Only before the reap: until then its pid, and so its group id, cannot be
    // given to another process.
    void kill_group() {
        if (reaped_) return;
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
    }

    // waitpid(pid, flags); true once the program is reaped.
    bool reap(int flags) {
        while (!reaped_) {
            const pid_t got = ::waitpid(pid_, &wait_status_, flags);
            if (got == pid_) {
                reaped_ = true;
            } else if (got == 0) {
                return false;  // WNOHANG: still running
            } else if (errno != EINTR) {
                // ECHILD: SIGCHLD is ignored in this process, so the kernel reaped the program
                // itself and its status is gone. Nothing is left to wait for.
                reaped_ = true;
                status_lost_ = true;
            }
        }
        return true;
    }

    bool status_lost() const { return status_lost_; }
    int wait_status() const { return wait_status_; }

private:
    const pid_t pid_;
    bool reaped_ = false;
    bool status_lost_ = false;
    int wait_status_ = 0;
};

// A descriptor that becomes readable when the program exits (Linux 5.3), or an invalid one:
// then the exit is polled for. Called through syscall() so that glibc 2.34/2.35 (no wrapper)
// builds too; a pidfd is always close-on-exec.
UniqueFd open_pidfd(pid_t pid) {
#ifdef SYS_pidfd_open
    return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
#else
    (void)pid;
    return UniqueFd();
#endif
}

// The parent's side of the three pipes, in one poll loop: stdin is written as the program
// reads it while stdout and stderr are read as it writes, so that neither side ever waits for
// the other (a program that writes 1 MiB before it reads its input does not deadlock).
class PipeTraffic {
public:
    PipeTraffic(UniqueFd to_stdin, UniqueFd from_stdout, UniqueFd from_stderr,
                std::string_view input, std::size_t stderr_budget, StderrLines* lines,
                SigpipeBlocked* sigpipe)
        : stdin_(std::move(to_stdin)),
          stdout_(std::move(from_stdout)),
          stderr_(std::move(from_stderr)),
          input_(input),
          stderr_budget_(stderr_budget),
          lines_(lines),
          sigpipe_(sigpipe) {
        write_input();  // fills the pipe, or closes stdin at once for an empty input
    }

    // One poll round of at most timeout_ms, also watching `exit_fd` when it is valid. True
    // when that says the program has exited.
    bool pump(int exit_fd, int timeout_ms) {
        pollfd fds[4];
        nfds_t count = 0;
        const auto watch = [&](int fd, short events) {
            if (fd < 0) return -1;
            fds[count] = pollfd{fd, events, 0};
            return static_cast<int>(count++);
        };
        const int in = watch(stdin_.get(), POLLOUT);
        const int out = watch(stdout_.get(), POLLIN);
        const int err = watch(stderr_.get(), POLLIN);
        const int exited = watch(exit_fd, POLLIN);
        if (::poll(fds, count, timeout_ms) < 0) {
            // EINTR: go round again. ENOMEM: wait a little instead of spinning to the deadline.
            if (errno != EINTR) ::usleep(kPollTickMs * 1000);
            return false;
        }
        if (in >= 0 && fds[in].revents != 0) write_input();
        if (out >= 0 && fds[out].revents != 0) read_from(&stdout_, false, kRoundBytes);
        if (err >= 0 && fds[err].revents != 0) read_from(&stderr_, true, kRoundBytes);
        return exited >= 0 && (fds[exited].revents & (POLLIN | POLLHUP)) != 0;
    }

    // After the program has ended: what is already in the pipes, without waiting for end of
    // file (a child the program left behind may hold the pipes open for ever).
    void drain() {
        read_from(&stdout_, false, kDrainBytes);
        read_from(&stderr_, true, kDrainBytes);
    }

private:
    void write_input() {
        while (stdin_ && written_ < input_.size()) {
            const ssize_t n = ::write(stdin_.get(), input_.data() + written_, input_.size() - written_);
            if (n > 0) {
                written_ += static_cast<std::size_t>(n);
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;  // the pipe is full: poll says when there is room
            } else {
                // EPIPE: the program closed its stdin, its own choice, not an error of the run.
                if (n < 0 && errno == EPIPE) sigpipe_->note_epipe();
                break;
            }
        }
        stdin_.reset();  // all written, or no more wanted: the program sees end of file
    }

    // Reads until the pipe is empty or `limit` bytes came; end of file or an error closes it.
    void read_from(UniqueFd* fd, bool is_stderr, std::size_t limit) {
        char buffer[kChunkBytes];
        std::size_t total = 0;
        while (*fd && total < limit) {
            const ssize_t n = ::read(fd->get(), buffer, sizeof buffer);
            if (n > 0) {
                total += static_cast<std::size_t>(n);
                if (is_stderr) take_stderr(std::string_view(buffer, static_cast<std::size_t>(n)));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;
            } else {
                fd->reset();
            }
        }
    }

    void take_stderr(std::string_view bytes) {
        const std::size_t examined = std::min(bytes.size(), stderr_budget_ - stderr_examined_);
        lines_->add(bytes.substr(0, examined));
        stderr_examined_ += examined;
        if (examined < bytes.size()) lines_->discard(bytes.size() - examined);
    }

    UniqueFd stdin_;
    UniqueFd stdout_;
    UniqueFd stderr_;
    const std::string_view input_;
    std::size_t written_ = 0;
    const std::size_t stderr_budget_;
    std::size_t stderr_examined_ = 0;
    StderrLines* const lines_;
    SigpipeBlocked* const sigpipe_;
};

int milliseconds_until(Clock::time_point deadline) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<std::int64_t>(ms, INT_MAX));
}

// Pumps the pipes until the program exits (true) or the deadline passes (false). An exit seen
// in the same round as the deadline counts as an exit.
bool wait_for_exit(PipeTraffic* traffic, Child* child, int exit_fd, Clock::time_point deadline) {
    for (;;) {
        const int wait_ms = milliseconds_until(deadline);
        if (exit_fd >= 0) {
            if (traffic->pump(exit_fd, wait_ms)) return true;
        } else {
            traffic->pump(-1, std::min(wait_ms, kPollTickMs));
            if (child->reap(WNOHANG)) return true;
        }
        if (Clock::now() >= deadline) return false;
    }
}

void record_status(const Child& child, bool timed_out, RunResult* result) {
    result->status = timed_out ? RunStatus::timed_out : RunStatus::exited;
    if (child.status_lost()) {
        result->error = "exit status lost: SIGCHLD is ignored in this process";
        return;
    }
    const int status = child.wait_status();
    if (WIFEXITED(status)) {
        result->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result->signal = WTERMSIG(status);
        if (!timed_out) result->status = RunStatus::signaled;
    }
}

RunResult spawn_failure(RunResult result, const std::string& what, int err) {
    result.error = what + ": " + errno_text(err);
    return result;
}

RunResult run(const ProgramSpec& spec, std::string_view input, const RunLimits& limits,
              std::string_view redact, bool use_pidfd) {
    RunResult result;
    if (spec.path.empty() || spec.path.front() != '/') {
        result.error = "not an absolute path: " + spec.path;
        return result;
    }
    // Everything that allocates comes before the spawn.
    std::vector<char*> argv;
    argv.reserve(spec.args.size() + 2);
    argv.push_back(const_cast<char*>(spec.path.c_str()));
    for (const std::string& arg : spec.args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(spec.env.size() + 1);
    for (const std::string& entry : spec.env) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    StderrLines lines(limits, redact);

    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline =
        start + std::chrono::milliseconds(std::clamp<std::int64_t>(limits.timeout_ms, 0, kMaxTimeoutMs));

    Pipe in, out, err;
    for (Pipe* each : {&in, &out, &err})
        if (int rc = make_pipe(each)) return spawn_failure(std::move(result), "pipe", rc);
    for (const UniqueFd* ours : {&in.write, &out.read, &err.read})
        if (int rc = set_nonblocking(*ours)) return spawn_failure(std::move(result), "fcntl", rc);
    SpawnAttributes attributes;
    if (int rc = attributes.configure()) return spawn_failure(std::move(result), "posix_spawnattr", rc);
    SpawnFileActions actions;
    if (int rc = actions.configure(in.read.get(), out.write.get(), err.write.get()))
        return spawn_failure(std::move(result), "posix_spawn_file_actions", rc);

    // posix_spawn, not fork: glibc starts the child with CLONE_VM | CLONE_VFORK, which costs
    // the same in a server of many threads and gigabytes as in a small process, and reports a
    // failed exec (no such file, not executable) as its own return value.
    pid_t pid = -1;
    if (int rc = ::posix_spawn(&pid, spec.path.c_str(), actions.get(), attributes.get(), argv.data(),
                               envp.data()))
        return spawn_failure(std::move(result), "posix_spawn " + spec.path, rc);
    Child child(pid);
    // Only the program holds its ends now: our copies would hide its end of file and its exit.
    in.read.reset();
    out.write.reset();
    err.write.reset();

    const UniqueFd exit_fd = use_pidfd ? open_pidfd(pid) : UniqueFd();
    bool timed_out = false;
    {
        SigpipeBlocked sigpipe;
        PipeTraffic traffic(std::move(in.write), std::move(out.read), std::move(err.read), input,
                            limits.max_output_bytes, &lines, &sigpipe);
        timed_out = !wait_for_exit(&traffic, &child, exit_fd.get(), deadline);
        if (timed_out) child.kill_group();  // the whole group: its children die with it
        child.reap(0);                      // exited, or being SIGKILLed: returns at once
        traffic.drain();
    }
    result.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    record_status(child, timed_out, &result);
    result.stderr_lines = lines.take();
    return result;
}

// Nothing escapes: a failure of our own (out of memory) is a spawn_failed with its reason; a
// program already started was killed and reaped by ~Child on the way out.
RunResult run_guarded(const ProgramSpec& spec, std::string_view input, const RunLimits& limits,
                      std::string_view redact, bool use_pidfd) noexcept {
    // The message is copied inside the handler: e.what() points into the exception object,
    // which is gone once the handler ends.
    char why[128] = "unknown exception";
    try {
        return run(spec, input, limits, redact, use_pidfd);
    } catch (const std::bad_alloc&) {
        std::snprintf(why, sizeof why, "%s", "out of memory");
    } catch (const std::exception& e) {
        std::snprintf(why, sizeof why, "%s", e.what());
    } catch (...) {
    }
    RunResult failed;
    try {
        failed.error = std::string("cannot run the program: ") + why;
    } catch (...) {
        failed.error = "out of memory";  // 13 bytes: fits the string's own buffer, no allocation
    }
    return failed;
}

}  // namespace

RunResult run_program(const ProgramSpec& spec, std::string_view input, const RunLimits& limits,
                      std::string_view redact) noexcept {
    return run_guarded(spec, input, limits, redact, true);
}

namespace exec_testing {
RunResult run_program_without_pidfd(const ProgramSpec& spec, std::string_view input,
                                    const RunLimits& limits, std::string_view redact) noexcept {
    return run_guarded(spec, input, limits, redact, false);
}
}  // namespace exec_testing

}  // namespace otp
