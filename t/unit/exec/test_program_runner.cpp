// run_program and ConcurrencyLimit, with real programs: /bin/true, /bin/false and small
// /bin/sh scripts written to the scratch directory. Exit codes and signals; stdin, argv and the
// environment delivered exactly; nothing of the caller leaks in (descriptors, ignored or
// blocked signals, its process group); no deadlock on full pipes; no SIGPIPE death when the
// program closes stdin early; the timeout kills the program's children too; nothing is left
// (zombies, descriptors); stderr lines capped, sanitized and redacted. The tests that concern
// the exit watch run twice: with pidfd_open and with the waitpid(WNOHANG) fallback.
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "exec/concurrency_limit.h"
#include "exec/program_runner.h"
#include "test_support.h"

using otp::ConcurrencyLimit;
using otp::ProgramSpec;
using otp::RunLimits;
using otp::RunResult;
using otp::RunStatus;

namespace {

using Clock = std::chrono::steady_clock;
using Runner = RunResult (*)(const ProgramSpec&, std::string_view, const RunLimits&,
                             std::string_view) noexcept;

// The two ways the exit is watched; cmocka passes one of them as a test's state.
struct Way {
    Runner run;
    const char* name;
};
Way g_pidfd{otp::run_program, "pidfd"};
Way g_polling{otp::exec_testing::run_program_without_pidfd, "waitpid polling"};

std::string g_dir;  // the scratch directory, made by the group setup

const Way& way(void** state) { return *static_cast<const Way*>(*state); }

// ---- helpers -----------------------------------------------------------------------------

// A /bin/sh script in the scratch directory; `@D` in `body` stands for that directory.
std::string script(const std::string& name, const std::string& body) {
    std::string text = "#!/bin/sh\n" + body;
    for (std::size_t at; (at = text.find("@D")) != std::string::npos;) text.replace(at, 2, g_dir);
    const std::string path = g_dir + "/" + name;
    write_whole_file(path, text);
    assert_int_equal(::chmod(path.c_str(), 0755), 0);
    return path;
}

std::string at_dir(const std::string& name) { return g_dir + "/" + name; }

ProgramSpec spec_for(const std::string& path, std::vector<std::string> args = {}) {
    return ProgramSpec{path, std::move(args), {"PATH=/usr/bin:/bin"}};
}

RunLimits limits_ms(std::int64_t timeout_ms) {
    RunLimits limits;
    limits.timeout_ms = timeout_ms;
    return limits;
}

const char* status_name(RunStatus status) {
    switch (status) {
        case RunStatus::exited: return "exited";
        case RunStatus::signaled: return "signaled";
        case RunStatus::timed_out: return "timed_out";
        case RunStatus::spawn_failed: return "spawn_failed";
    }
    return "?";
}

void dump(const RunResult& r) {
    print_error("status=%s exit_code=%d signal=%d duration_ms=%lld error=[%s] %zu stderr lines\n",
                status_name(r.status), r.exit_code, r.signal, static_cast<long long>(r.duration_ms),
                r.error.c_str(), r.stderr_lines.size());
    for (std::size_t i = 0; i < r.stderr_lines.size() && i < 30; ++i)
        print_error("  stderr[%zu]: [%s]\n", i, r.stderr_lines[i].c_str());
}

void expect_exited(const RunResult& r, int code) {
    if (r.status != RunStatus::exited || r.exit_code != code || !r.error.empty()) {
        print_error("expected exit code %d\n", code);
        dump(r);
        fail();
    }
}

void expect_signaled(const RunResult& r, int signal) {
    if (r.status != RunStatus::signaled || r.signal != signal) {
        print_error("expected death by signal %d\n", signal);
        dump(r);
        fail();
    }
}

void expect_lines(const RunResult& r, const std::vector<std::string>& expected) {
    if (r.stderr_lines != expected) {
        print_error("expected %zu stderr lines:\n", expected.size());
        for (const std::string& line : expected) print_error("  [%s]\n", line.c_str());
        dump(r);
        fail();
    }
}

// No child of this process is left, zombie or running.
void expect_no_children() {
    int status = 0;
    errno = 0;
    const pid_t got = ::waitpid(-1, &status, WNOHANG);
    if (!(got == -1 && errno == ECHILD)) {
        print_error("waitpid(-1, WNOHANG) = %d (errno %d): a child is left\n", got, errno);
        fail();
    }
}

// The state letter of /proc/<pid>/stat, or 0 when there is no such process.
char process_state(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const std::size_t paren = text.rfind(')');
    return paren == std::string::npos || paren + 2 >= text.size() ? 0 : text[paren + 2];
}

// Waits up to 2 s for `pid` to be dead: gone, or a zombie its (other) parent has yet to reap.
bool becomes_dead(pid_t pid) {
    const auto until = Clock::now() + std::chrono::seconds(2);
    for (;;) {
        const bool gone = ::kill(pid, 0) != 0 && errno == ESRCH;
        if (gone || process_state(pid) == 'Z' || process_state(pid) == 'X') return true;
        if (Clock::now() > until) return false;
        ::usleep(2000);
    }
}

pid_t read_pid(const std::string& path) {
    const std::string text = read_file(path);
    return text == "<missing>" ? -1 : static_cast<pid_t>(std::atol(text.c_str()));
}

// Waits up to 5 s for `path` to hold a pid.
pid_t wait_for_pid_file(const std::string& path) {
    const auto until = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < until) {
        const pid_t pid = read_pid(path);
        if (pid > 0) return pid;
        ::usleep(2000);
    }
    return -1;
}

std::set<std::string> fds_of(const std::string& proc_fd_dir) {
    std::set<std::string> names;
    DIR* dir = ::opendir(proc_fd_dir.c_str());
    if (!dir) return names;
    const int own = ::dirfd(dir);
    while (const dirent* entry = ::readdir(dir)) {
        const std::string name = entry->d_name;
        if (name != "." && name != ".." && name != std::to_string(own)) names.insert(name);
    }
    ::closedir(dir);
    return names;
}

bool sigpipe_pending() {
    sigset_t pending;
    sigemptyset(&pending);
    ::sigpending(&pending);
    return sigismember(&pending, SIGPIPE) == 1;
}

bool sigpipe_blocked() {
    sigset_t mask;
    sigemptyset(&mask);
    ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);
    return sigismember(&mask, SIGPIPE) == 1;
}

// Sets a signal's disposition for one scope.
class Disposition {
public:
    Disposition(int signal, void (*handler)(int)) : signal_(signal) {
        struct sigaction action {};
        action.sa_handler = handler;
        sigemptyset(&action.sa_mask);
        assert_int_equal(::sigaction(signal, &action, &previous_), 0);
    }
    ~Disposition() { ::sigaction(signal_, &previous_, nullptr); }

private:
    int signal_;
    struct sigaction previous_ {};
};

std::string patterned_bytes(std::size_t size) {
    std::string bytes(size, '\0');
    std::uint32_t x = 12345;
    for (char& c : bytes) {
        x = x * 1103515245u + 12345u;
        c = static_cast<char>(x >> 24);
    }
    return bytes;
}

// ---- exit codes and signals (both ways) --------------------------------------------------

void exit_codes(void** state) {
    const Way& w = way(state);
    expect_exited(w.run(spec_for("/bin/true"), "", limits_ms(5000), ""), 0);
    expect_exited(w.run(spec_for("/bin/false"), "", limits_ms(5000), ""), 1);
    const RunResult two = w.run(spec_for(script("exit2.sh", "echo bye >&2\nexit 2\n")), "",
                                limits_ms(5000), "");
    expect_exited(two, 2);
    expect_lines(two, {"bye"});  // what the program wrote just before exiting is kept
    assert_true(two.duration_ms >= 0 && two.duration_ms < 2000);
    expect_no_children();
}

void killed_by_signal(void** state) {
    const Way& w = way(state);
    const std::string path = script("term.sh", "kill -TERM $$\nsleep 1\nexit 0\n");
    expect_signaled(w.run(spec_for(path), "", limits_ms(5000), ""), SIGTERM);
    expect_no_children();
}

// The caller's ignored dispositions and blocked signals must not reach the program. Seen first
// in the program's own /proc/self/status (sed started directly: a shell clears its mask), then
// by kills that a program would survive (and exit 0) if they were still ignored or blocked.
void signals_are_reset(void**) {
    {
        Disposition ignore_term(SIGTERM, SIG_IGN), ignore_pipe(SIGPIPE, SIG_IGN),
            ignore_hup(SIGHUP, SIG_IGN);
        sigset_t usr, previous;
        sigemptyset(&usr);
        sigaddset(&usr, SIGUSR1);
        sigaddset(&usr, SIGUSR2);
        sigaddset(&usr, SIGCHLD);
        assert_int_equal(::pthread_sigmask(SIG_BLOCK, &usr, &previous), 0);
        ::unlink(at_dir("sigs").c_str());
        const RunResult r = otp::run_program(
            spec_for("/bin/sed", {"-n", "/^Sig\\(Blk\\|Ign\\)/w " + at_dir("sigs"), "/proc/self/status"}),
            "", limits_ms(5000), "");
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        expect_exited(r, 0);
        const std::string sigs = read_file(at_dir("sigs"));
        unsigned long long blocked = ~0ull, ignored = ~0ull;
        if (std::sscanf(sigs.c_str(), "SigBlk: %llx SigIgn: %llx", &blocked, &ignored) != 2) {
            print_error("cannot parse [%s]\n", sigs.c_str());
            fail();
        }
        assert_int_equal(blocked, 0);
        // Except 32 and 33 (bits 31, 32): glibc's own thread signals, which its posix_spawn
        // sets to SIG_IGN in the child and POSIX_SPAWN_SETSIGDEF cannot name.
        assert_int_equal(ignored & ~((1ull << 31) | (1ull << 32)), 0);
    }
    {
        Disposition ignore_term(SIGTERM, SIG_IGN);
        const std::string path = script("term_ign.sh", "kill -TERM $$\nsleep 1\nexit 0\n");
        expect_signaled(otp::run_program(spec_for(path), "", limits_ms(5000), ""), SIGTERM);
    }
    {
        Disposition ignore_pipe(SIGPIPE, SIG_IGN);
        const std::string path = script("pipe_ign.sh", "kill -PIPE $$\nsleep 1\nexit 0\n");
        expect_signaled(otp::run_program(spec_for(path), "", limits_ms(5000), ""), SIGPIPE);
    }
    {
        sigset_t usr1, previous;
        sigemptyset(&usr1);
        sigaddset(&usr1, SIGUSR1);
        assert_int_equal(::pthread_sigmask(SIG_BLOCK, &usr1, &previous), 0);
        const std::string path = script("usr1_blocked.sh", "kill -USR1 $$\nsleep 1\nexit 0\n");
        const RunResult r = otp::run_program(spec_for(path), "", limits_ms(5000), "");
        ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        expect_signaled(r, SIGUSR1);
    }
    expect_no_children();
}

// ---- what the program gets ---------------------------------------------------------------

void stdin_is_delivered_exactly(void**) {
    const std::string path = script("copy_stdin.sh", "/bin/cat > '@D/stdin_copy'\n");
    const std::string input = patterned_bytes(300000) + std::string("\0\n\r\xff end", 9);
    expect_exited(otp::run_program(spec_for(path), input, limits_ms(5000), ""), 0);
    const std::string copy = read_file(at_dir("stdin_copy"));
    assert_int_equal(copy.size(), input.size());
    assert_true(copy == input);
    // Empty input: stdin is closed at once, the program sees end of file.
    expect_exited(otp::run_program(spec_for(path), "", limits_ms(5000), ""), 0);
    assert_true(read_file(at_dir("stdin_copy")).empty());
}

// argv is passed as it is, with no shell in between to split or expand it.
void arguments_are_delivered_exactly(void**) {
    const std::string path =
        script("args.sh", "{ printf '%s\\n' \"$0\"; for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done; } "
                          "> '@D/args'\n");
    const std::vector<std::string> args = {"one", "two  words", "", "$HOME;`id`|*"};
    expect_exited(otp::run_program(spec_for(path, args), "", limits_ms(5000), ""), 0);
    EXPECT_STR_EQ(read_file(at_dir("args")),
                  path + "\n[one]\n[two  words]\n[]\n[$HOME;`id`|*]\n");
}

// /proc/<shell>/environ is the envp the program was started with, byte for byte.
void environment_is_exactly_spec_env(void**) {
    assert_int_equal(::setenv("OTP_CALLER_SECRET", "must-not-pass", 1), 0);
    const std::string path = script("environ.sh", "/bin/cat /proc/$$/environ > '@D/environ'\n");
    ProgramSpec spec = spec_for(path);
    spec.env = {"PATH=/usr/bin:/bin", "OTP_ONE=1", "OTP_SPACES=a b  c", "OTP_EQUALS=x=y"};
    expect_exited(otp::run_program(spec, "", limits_ms(5000), ""), 0);
    std::string expected;
    for (const std::string& entry : spec.env) expected += entry + '\0';
    const std::string got = read_file(at_dir("environ"));
    assert_int_equal(got.size(), expected.size());
    assert_true(got == expected);

    spec.env.clear();  // no environment at all
    expect_exited(otp::run_program(spec, "", limits_ms(5000), ""), 0);
    assert_true(read_file(at_dir("environ")).empty());
    ::unsetenv("OTP_CALLER_SECRET");
}

// Looked at from outside while the program runs (`exec sleep`, so no shell descriptor is in
// the way): only 0, 1 and 2 are open although the caller holds descriptors without
// O_CLOEXEC, and the program leads its own process group.
void only_stdio_and_own_process_group(void**) {
    const int null_fd = ::open("/dev/null", O_RDONLY);
    assert_true(null_fd >= 0);
    const int leaky = ::fcntl(null_fd, F_DUPFD, 50);  // no O_CLOEXEC
    int leaky_pipe[2];
    assert_int_equal(::pipe(leaky_pipe), 0);
    ::unlink(at_dir("fd_pid").c_str());
    const std::string path =
        script("fds.sh", "echo $$ > '@D/fd_pid.tmp'\nmv '@D/fd_pid.tmp' '@D/fd_pid'\nexec /bin/sleep 10\n");

    RunResult result;
    std::thread runner([&] { result = otp::run_program(spec_for(path), "", limits_ms(10000), ""); });
    const pid_t pid = wait_for_pid_file(at_dir("fd_pid"));
    std::string comm;
    for (int i = 0; pid > 0 && i < 2500 && comm != "sleep\n"; ++i) {
        comm = read_file("/proc/" + std::to_string(pid) + "/comm");
        if (comm != "sleep\n") ::usleep(2000);
    }
    // The dynamic loader of sleep opens its libraries for a moment after the exec: a descriptor
    // that comes from us stays, one of those goes, so the listing is looked at until it is clean.
    std::set<std::string> fds;
    for (int i = 0; pid > 0 && i < 1000; ++i) {
        fds = fds_of("/proc/" + std::to_string(pid) + "/fd");
        if (fds == std::set<std::string>{"0", "1", "2"}) break;
        ::usleep(2000);
    }
    const pid_t pgid = pid > 0 ? ::getpgid(pid) : -1;
    if (pid > 0) ::kill(pid, SIGKILL);
    runner.join();
    ::close(leaky);
    ::close(null_fd);
    ::close(leaky_pipe[0]);
    ::close(leaky_pipe[1]);

    assert_true(pid > 0);
    EXPECT_STR_EQ(comm, "sleep\n");
    std::string listed;
    for (const std::string& fd : fds) listed += fd + " ";
    EXPECT_STR_EQ(listed, "0 1 2 ");
    assert_int_equal(pgid, pid);
    assert_true(pgid != ::getpgrp());
    expect_signaled(result, SIGKILL);
    expect_no_children();
}

// ---- pipes and deadlines (both ways) -----------------------------------------------------

// 1 MiB to stdout and 1 MiB of lines to stderr before the program reads 256 KiB of stdin: each
// side is more than a pipe holds, so a runner that writes all input first, or reads one pipe
// to its end first, hangs until the timeout.
void big_output_before_reading_stdin(void** state) {
    const Way& w = way(state);
    const std::string path = script("big.sh",
                                    "head -c 1048576 /dev/zero\n"
                                    "yes 'stderr line' | head -c 1048576 >&2\n"
                                    "/bin/cat > '@D/big_in'\n"
                                    "exit 0\n");
    const std::string input = patterned_bytes(256 * 1024);
    const RunResult r = w.run(spec_for(path), input, limits_ms(20000), "");
    expect_exited(r, 0);
    assert_true(read_file(at_dir("big_in")) == input);
    // 1048576 bytes are 87381 lines of 12 bytes and "stde": 20 kept, 87362 counted.
    std::vector<std::string> expected(20, "stderr line");
    expected.push_back("... 87362 more lines");
    expect_lines(r, expected);
    expect_no_children();
}

// stderr past max_output_bytes is read (the program does not block) but only counted.
void stderr_past_the_budget_is_discarded(void**) {
    const std::string path = script("budget.sh", "yes 'stderr line' | head -c 100000 >&2\nexit 5\n");
    RunLimits limits = limits_ms(5000);
    limits.max_output_bytes = 1000;  // 83 lines and "stde"
    const RunResult r = otp::run_program(spec_for(path), "", limits, "");
    expect_exited(r, 5);
    std::vector<std::string> expected(20, "stderr line");
    expected.push_back("... 64 more lines");
    expected.push_back("... 99000 more bytes of stderr discarded");
    expect_lines(r, expected);
}

void stderr_lines_are_capped(void**) {
    const std::string path =
        script("lines.sh", "i=0\nwhile [ $i -lt 25 ]; do echo \"line $i\" >&2; i=$((i+1)); done\nexit 3\n");
    const RunResult r = otp::run_program(spec_for(path), "", limits_ms(5000), "");
    expect_exited(r, 3);
    std::vector<std::string> expected;
    for (int i = 0; i < 20; ++i) expected.push_back("line " + std::to_string(i));
    expected.push_back("... 5 more lines");
    expect_lines(r, expected);
}

// The program closes stdin while 1 MiB is still to come: our write gets EPIPE and raises
// SIGPIPE, which at its default action would kill this test process.
void early_stdin_close_is_no_sigpipe_death(void** state) {
    const Way& w = way(state);
    Disposition default_pipe(SIGPIPE, SIG_DFL);
    const std::string path = script("close_stdin.sh", "exec 0<&-\nsleep 0.1\nexit 0\n");
    const std::string input = patterned_bytes(1 << 20);
    assert_false(sigpipe_blocked());
    expect_exited(w.run(spec_for(path), input, limits_ms(5000), ""), 0);
    assert_false(sigpipe_pending());
    assert_false(sigpipe_blocked());  // the caller's mask is back

    // A caller that blocks SIGPIPE itself keeps it blocked, with nothing of ours pending.
    sigset_t pipe_set, previous;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    assert_int_equal(::pthread_sigmask(SIG_BLOCK, &pipe_set, &previous), 0);
    const RunResult blocked = w.run(spec_for(path), input, limits_ms(5000), "");
    const bool still_blocked = sigpipe_blocked();
    const bool pending = sigpipe_pending();
    ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    expect_exited(blocked, 0);
    assert_true(still_blocked);
    assert_false(pending);
    expect_no_children();
}

// Past the deadline the whole process group is killed: the program and the child it left in
// the background; both are gone soon after, and no zombie of ours is left.
void timeout_kills_the_group(void** state) {
    const Way& w = way(state);
    ::unlink(at_dir("timeout_child").c_str());
    ::unlink(at_dir("timeout_pid").c_str());
    const std::string path = script("timeout.sh",
                                    "sleep 30 &\n"
                                    "echo $! > '@D/timeout_child'\n"
                                    "echo $$ > '@D/timeout_pid'\n"
                                    "echo 'going to sleep' >&2\n"
                                    "sleep 30\n");
    const std::int64_t timeout = 300;
    const auto start = Clock::now();
    const RunResult r = w.run(spec_for(path), "", limits_ms(timeout), "");
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    if (r.status != RunStatus::timed_out || r.signal != SIGKILL) {
        dump(r);
        fail();
    }
    expect_lines(r, {"going to sleep"});  // stderr written before the kill is kept
    print_message("timeout %lld ms (%s): returned after %lld ms (duration_ms %lld)\n",
                  static_cast<long long>(timeout), w.name, static_cast<long long>(elapsed),
                  static_cast<long long>(r.duration_ms));
    assert_true(r.duration_ms >= timeout);
    assert_true(elapsed < timeout + 300);

    const pid_t program = read_pid(at_dir("timeout_pid"));
    const pid_t child = read_pid(at_dir("timeout_child"));
    assert_true(program > 0 && child > 0);
    assert_true(::kill(program, 0) != 0 && errno == ESRCH);  // reaped by us
    assert_true(becomes_dead(child));
    expect_no_children();
}

// A program that exits while a child of its own still holds stdout and stderr: the run ends
// with the program, not with the pipes' end of file (30 s away).
void exit_does_not_wait_for_grandchildren(void** state) {
    const Way& w = way(state);
    ::unlink(at_dir("linger_child").c_str());
    const std::string path = script("linger.sh",
                                    "sleep 30 &\n"
                                    "echo $! > '@D/linger_child'\n"
                                    "echo 'parent done' >&2\n"
                                    "exit 0\n");
    const auto start = Clock::now();
    const RunResult r = w.run(spec_for(path), "", limits_ms(5000), "");
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    const pid_t child = read_pid(at_dir("linger_child"));
    if (child > 0) ::kill(child, SIGKILL);
    expect_exited(r, 0);
    expect_lines(r, {"parent done"});
    assert_true(elapsed < 1000);
    expect_no_children();
}

// ---- stderr redaction --------------------------------------------------------------------

bool contains_ignoring_case(std::string text, std::string needle) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (char& c : needle) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text.find(needle) != std::string::npos;
}

void code_is_redacted(void**) {
    const std::string path = script("redact.sh",
                                    "echo 'sent Ab12Cd to user' >&2\n"
                                    "echo 'lower ab12cd upper AB12CD' >&2\n"
                                    "printf 'split Ab1' >&2\n"
                                    "sleep 0.1\n"  // a second read() gets the rest
                                    "printf '2Cd done\\n' >&2\n"
                                    "echo 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxAb12Cd tail' >&2\n"
                                    "printf 'bell\\007 tab\\t cr\\r\\n' >&2\n"
                                    "printf 'no newline at the end Ab12Cd' >&2\n");
    RunLimits limits = limits_ms(5000);
    limits.max_line_bytes = 40;
    const RunResult r = otp::run_program(spec_for(path), "", limits, "Ab12Cd");
    expect_exited(r, 0);
    expect_lines(r, {
                        "sent [redacted] to user",
                        "lower [redacted] upper [redacted]",
                        "split [redacted] done",
                        // 35 x and the code: cut after redaction, so no piece of it survives
                        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx[reda",
                        "bell? tab? cr",
                        "no newline at the end [redacted]",
                    });
    for (const std::string& line : r.stderr_lines) assert_false(contains_ignoring_case(line, "ab1"));
}

// A code longer than the marker shrinks on redaction; the lines kept raw must reach far enough
// that no piece of a code shows in the cut line.
void long_code_is_redacted(void**) {
    const std::string code = "1234567890ABCDEF";
    std::string many;
    for (int i = 0; i < 5; ++i) many += code;
    const std::string path = script("redact_long.sh", "echo 'y" + code + code + "zz' >&2\n"
                                                      "echo '" + many + "' >&2\n");
    RunLimits limits = limits_ms(5000);
    limits.max_line_bytes = 20;
    const RunResult r = otp::run_program(spec_for(path), "", limits, code);
    expect_exited(r, 0);
    expect_lines(r, {"y[redacted][redacted", "[redacted][redacted]"});
    for (const std::string& line : r.stderr_lines) assert_false(contains_ignoring_case(line, "123"));
}

// ---- programs that cannot start ----------------------------------------------------------

void spawn_failures(void**) {
    RunResult r = otp::run_program(spec_for(at_dir("does-not-exist")), "", limits_ms(5000), "");
    if (r.status != RunStatus::spawn_failed || !contains(r.error, "No such file")) {
        dump(r);
        fail();
    }
    const std::string not_executable = at_dir("not_executable.sh");
    write_whole_file(not_executable, "#!/bin/sh\nexit 0\n");
    assert_int_equal(::chmod(not_executable.c_str(), 0644), 0);
    r = otp::run_program(spec_for(not_executable), "", limits_ms(5000), "");
    if (r.status != RunStatus::spawn_failed || !contains(r.error, "Permission denied")) {
        dump(r);
        fail();
    }
    r = otp::run_program(spec_for("bin/true"), "", limits_ms(5000), "");  // no PATH search
    if (r.status != RunStatus::spawn_failed || !contains(r.error, "not an absolute path")) {
        dump(r);
        fail();
    }
    expect_no_children();  // glibc reaps the child whose exec failed
}

// ---- many at once ------------------------------------------------------------------------

std::size_t open_fd_count() { return fds_of("/proc/self/fd").size(); }

void parallel_runs(void**) {
    const std::string path = script("echo_stdin.sh", "read line\necho \"got $line\" >&2\nexit 0\n");
    constexpr int kRuns = 50;
    constexpr int kThreads = 8;
    const std::size_t fds_before = open_fd_count();
    std::vector<RunResult> results(kRuns);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&, t] {
            for (int i = t; i < kRuns; i += kThreads)
                results[static_cast<std::size_t>(i)] = otp::run_program(
                    spec_for(path), "run-" + std::to_string(i) + "\n", limits_ms(10000), "");
        });
    for (std::thread& thread : threads) thread.join();
    for (int i = 0; i < kRuns; ++i) {
        const RunResult& r = results[static_cast<std::size_t>(i)];
        expect_exited(r, 0);
        expect_lines(r, {"got run-" + std::to_string(i)});
    }
    assert_int_equal(open_fd_count(), fds_before);
    expect_no_children();
}

// ---- ConcurrencyLimit --------------------------------------------------------------------

void limit_counts_slots(void**) {
    ConcurrencyLimit limit(4);
    std::vector<ConcurrencyLimit::Slot> held;
    for (int i = 0; i < 4; ++i) {
        std::optional<ConcurrencyLimit::Slot> slot = limit.try_acquire();
        assert_true(slot.has_value());
        held.push_back(std::move(*slot));
    }
    assert_int_equal(limit.in_use(), 4);
    assert_false(limit.try_acquire().has_value());
    held.pop_back();  // a released slot is free again
    assert_int_equal(limit.in_use(), 3);
    std::optional<ConcurrencyLimit::Slot> again = limit.try_acquire();
    assert_true(again.has_value());
    assert_int_equal(limit.in_use(), 4);

    // Moving a slot moves the place, it does not free or take one.
    ConcurrencyLimit::Slot moved = std::move(*again);
    again.reset();
    assert_int_equal(limit.in_use(), 4);
    ConcurrencyLimit::Slot other = std::move(held.back());
    held.pop_back();
    other = std::move(moved);  // other's own place is released
    assert_int_equal(limit.in_use(), 3);

    // A lower cap waits for running programs to finish; nothing is taken away.
    limit.set_max(2);
    assert_false(limit.try_acquire().has_value());
    held.clear();
    assert_int_equal(limit.in_use(), 1);
    assert_true(limit.try_acquire().has_value());  // released again at once
    assert_int_equal(limit.in_use(), 1);
}

void limit_holds_under_contention(void**) {
    ConcurrencyLimit limit(4);
    std::atomic<int> holders{0};
    std::atomic<int> most{0};
    std::atomic<long> acquired{0};
    std::atomic<long> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 20000; ++i) {
                std::optional<ConcurrencyLimit::Slot> slot = limit.try_acquire();
                if (!slot) {
                    ++refused;
                    continue;
                }
                ++acquired;
                const int now = ++holders;
                int seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {
                }
                if (i % 16 == 0) std::this_thread::yield();
                --holders;
            }
        });
    for (std::thread& thread : threads) thread.join();
    print_message("contention: %ld acquired, %ld refused, at most %d at once\n", acquired.load(),
                  refused.load(), most.load());
    assert_true(most.load() <= 4);
    assert_true(acquired.load() > 0);
    assert_int_equal(limit.in_use(), 0);
}

int make_dir(void**) {
    g_dir = make_scratch_dir("program_runner");
    return 0;
}

}  // namespace

// The tests that concern the exit watch, once with pidfd_open and once with the fallback.
#define BOTH_WAYS(f)                                          \
    {#f " (pidfd)", f, nullptr, nullptr, &g_pidfd}, {         \
        #f " (waitpid polling)", f, nullptr, nullptr, &g_polling \
    }

int main(void) {
    const struct CMUnitTest tests[] = {
        BOTH_WAYS(exit_codes),
        BOTH_WAYS(killed_by_signal),
        cmocka_unit_test(signals_are_reset),
        cmocka_unit_test(stdin_is_delivered_exactly),
        cmocka_unit_test(arguments_are_delivered_exactly),
        cmocka_unit_test(environment_is_exactly_spec_env),
        cmocka_unit_test(only_stdio_and_own_process_group),
        BOTH_WAYS(big_output_before_reading_stdin),
        cmocka_unit_test(stderr_past_the_budget_is_discarded),
        cmocka_unit_test(stderr_lines_are_capped),
        BOTH_WAYS(early_stdin_close_is_no_sigpipe_death),
        BOTH_WAYS(timeout_kills_the_group),
        BOTH_WAYS(exit_does_not_wait_for_grandchildren),
        cmocka_unit_test(code_is_redacted),
        cmocka_unit_test(long_code_is_redacted),
        cmocka_unit_test(spawn_failures),
        cmocka_unit_test(parallel_runs),
        cmocka_unit_test(limit_counts_slots),
        cmocka_unit_test(limit_holds_under_contention),
    };
    return cmocka_run_group_tests(tests, make_dir, nullptr);
}
