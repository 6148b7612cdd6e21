// Running one external program (a code-delivery script, say) from inside httpd: from any
// thread of a large multithreaded process (event MPM) or from a prefork child, synchronously,
// with one deadline for the whole run. The program gets exactly the environment, arguments and
// stdin it is given and nothing else of the server: no shell, no inherited descriptor
// (listening sockets, logs), no ignored or blocked signal, its own process group (so a timeout
// kills its children too). It is always reaped: no zombie is left on any path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otp {

struct ProgramSpec {
    std::string path;               // absolute path of the program (no PATH search)
    std::vector<std::string> args;  // argv[1..]; argv[0] is `path`
    std::vector<std::string> env;   // the whole environment, "NAME=VALUE" (the caller adds PATH)
};

struct RunLimits {
    std::int64_t timeout_ms = 5000;          // whole run, from spawn to reap
    std::size_t max_stderr_lines = 20;       // lines kept for the error log
    std::size_t max_line_bytes = 256;        // each kept line is cut to this
    // stderr bytes examined for lines. Past this, stderr is still read (and only counted) until
    // the program exits or times out, so that it never blocks on a full pipe; stdout is always
    // read and discarded, and does not count here (a chatty stdout must not hide the error).
    std::size_t max_output_bytes = 1 << 20;
};

enum class RunStatus { exited, signaled, timed_out, spawn_failed };

struct RunResult {
    RunStatus status = RunStatus::spawn_failed;
    int exit_code = -1;        // exited (-1 when the status was lost: SIGCHLD ignored)
    int signal = 0;            // signaled, or what ended it after a timeout (SIGKILL)
    std::int64_t duration_ms = 0;
    // Split on '\n', at most max_stderr_lines, then "... N more lines" when some were dropped
    // and "... N more bytes of stderr discarded" past max_output_bytes. Every byte outside
    // 0x20..0x7e is '?', every occurrence of `redact` (ASCII case-insensitive) is
    // "[redacted]", and only then is the line cut to max_line_bytes.
    std::vector<std::string> stderr_lines;
    // spawn_failed: why ("posix_spawn /x/y: No such file or directory"); also set when the
    // exit status was lost, or when the run was cut short by an internal error (out of memory),
    // in which case the program was killed and reaped.
    std::string error;
};

// Runs `spec` with `input` written to its stdin (which is then closed), its stdout read and
// discarded, its stderr collected as lines. `redact` (the one-time code; empty = nothing) never
// appears in stderr_lines. Thread-safe and re-entrant; throws nothing. A program that exits
// while a child of its own still holds the pipes does not keep the caller waiting: after the
// exit only what is already in the pipes is read.
RunResult run_program(const ProgramSpec& spec, std::string_view input, const RunLimits& limits,
                      std::string_view redact) noexcept;

namespace exec_testing {
// run_program with the exit watched by polling waitpid(WNOHANG), as on kernels older than 5.3
// (no pidfd_open): for the tests of that path only.
RunResult run_program_without_pidfd(const ProgramSpec& spec, std::string_view input,
                                    const RunLimits& limits, std::string_view redact) noexcept;
}  // namespace exec_testing

}  // namespace otp
