#!/usr/bin/env bash
# Issue 10, side by side in one run, against a real httpd (mpm_event) on 127.0.0.1: start-endpoint
# validations/s and their p99 latency (wrk --latency) for
#  exec-wrong / exec-right: an OTPPipe exec program (bench/tiny_validator.c, compiled here with
#         cc -O2: reads its stdin, exits 0 for "otp":"123456", else 1) with a wrong code (000000,
#         401 invalid_otp) and with the right one (123456, 200 COMPLETED and a session cookie);
#  exec-static: the same program linked with -static (no dynamic loader), wrong codes; left
#         out when the C library has no static archive;
#  totp:  OTPValidationPipe totp, wrong codes, users from a users file of BENCH_USERS TOTP users;
#  delivered: OTPValidationPipe delivered (+ OTPPrePipe, /usr/bin/tee into a file), wrong codes
#         for users of the same file who were never sent a code: each validation is the typed
#         code's HMAC and a store get that misses (the record compare of a sent code is skipped).
#  floor-dynamic / floor-static: no httpd at all: two processes (one per core) that each
#         posix_spawn the same program, write it the JSON line of a validation through a pipe
#         and wait for it, as fast as they can: what this machine allows for running a program,
#         the ceiling of any exec pipe here.
# Every request is a fresh attempt (no attempt cookie) for a different user name, OTPLockout off
# and OTPAddressLockout off in every location, so no answer is a cheap 429 "locked".
# Usage: bench/issue10_pipes.sh BUILD_DIR [SECONDS] [ROUNDS]
# Each figure is the median of ROUNDS (default 3) wrk runs of SECONDS (default 5), wrk -t2 -c32;
# within a round the cases alternate, so a change of the machine's load hits them alike.
# Environment: BENCH_PORT (default 18931), BENCH_USERS (users in the file, default 200000),
# BENCH_PIPE_MAX (OTPPipeMaxConcurrent, default: the module's default, 16 per child process),
# BENCH_PERF=DIR: after the measured rounds, one more wrong-code run each of exec, totp and
# delivered under `perf record -g` of the httpd children (the programs they start are
# inherited), reports in DIR/<case>-report.txt (call graphs), -dso.txt and -sym.txt (flat).
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS] [ROUNDS]}" && pwd)
duration=${2:-5}
rounds=${3:-3}
users=${BENCH_USERS:-200000}
export BENCH_PORT=${BENCH_PORT:-18931}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

cc -O2 -o "$work/tiny_validator" "$here/tiny_validator.c"
static_cases=
if cc -O2 -static -o "$work/tiny_validator_static" "$here/tiny_validator.c" 2>/dev/null; then
    static_cases=exec-static
fi
chmod 0755 "$work"/tiny_validator*
# The floor: bench/issue10_pipes.sh's own little spawn loop (usage: spawn_loop SECONDS PROGRAM;
# prints "runs elapsed-s own-CPU-s programs'-CPU-s").
cat > "$work/spawn_loop.c" <<'C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}
static double cpu(const struct rusage* u) {
    return u->ru_utime.tv_sec + u->ru_utime.tv_usec / 1e6 + u->ru_stime.tv_sec +
           u->ru_stime.tv_usec / 1e6;
}
int main(int argc, char** argv) {
    if (argc != 3) return 2;
    const double seconds = atof(argv[1]), start = now();
    char* args[] = {argv[2], NULL};
    char* env[] = {"PATH=/usr/bin:/bin", NULL};
    static const char line[] = "{\"action\":\"validate\",\"user\":\"user1\",\"otp\":\"000000\","
                               "\"customer\":\"\",\"locale\":\"en\",\"request_id\":\"x\","
                               "\"location\":\"/exec\"}\n";
    long runs = 0;
    do {
        int fds[2];
        pid_t pid;
        int status;
        posix_spawn_file_actions_t actions;
        if (pipe2(fds, O_CLOEXEC) != 0) return 2;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
        if (posix_spawn(&pid, argv[2], &actions, NULL, args, env) != 0) return 2;
        posix_spawn_file_actions_destroy(&actions);
        close(fds[0]);
        if (write(fds[1], line, sizeof line - 1) != (ssize_t)(sizeof line - 1)) return 2;
        close(fds[1]);
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 1)
            return 3;
        ++runs;
    } while (now() - start < seconds);
    struct rusage self, children;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    printf("%ld %.6f %.6f %.6f\n", runs, now() - start, cpu(&self), cpu(&children));
    return 0;
}
C
cc -O2 -o "$work/spawn_loop" "$work/spawn_loop.c"
bench_users "$users"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/session.key"
chmod 0600 "$work/session.key"

# POSTs .otp/start with a different user on every request, across all threads, and the code
# START_OTP; counts the answers by status. Thread t of T sends user<o+t>, user<o+t+T>, ...
cat > "$work/start.lua" <<'LUA'
local path = os.getenv("START_PATH")
local otp = os.getenv("START_OTP")
local users = tonumber(os.getenv("START_USERS"))
local step = tonumber(os.getenv("START_THREADS"))
local offset = tonumber(os.getenv("START_OFFSET"))
local threads = {}
local next_id = 0
function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end
local counter = 0
ok, invalid, locked, busy, other = 0, 0, 0, 0, 0
function request()
    local user = (offset + id + step * counter) % users
    counter = counter + 1
    local body = string.format('{"type":"start","data":{"user":"user%d","otp":"%s"}}', user, otp)
    return wrk.format("POST", path,
                      {["Content-Type"] = "application/json", ["Accept"] = "application/json"},
                      body)
end
function response(status, headers, body)
    if status == 200 then ok = ok + 1
    elseif status == 401 then invalid = invalid + 1
    elseif status == 429 then locked = locked + 1
    elseif status == 503 then busy = busy + 1
    else other = other + 1 end
end
function done(summary, latency, requests)
    local t = {ok = 0, invalid = 0, locked = 0, busy = 0, other = 0}
    for _, thread in ipairs(threads) do
        for k in pairs(t) do t[k] = t[k] + thread:get(k) end
    end
    io.write(string.format("answers: %d %d %d %d %d %d\n", t.ok, t.invalid, t.locked, t.busy,
                           t.other, summary.errors.connect + summary.errors.read +
                           summary.errors.write + summary.errors.timeout))
end
LUA

bench_start "OTPSessionKeyFile \"$work/session.key\"
# Each wrong guess for a new user from a new attempt stores an attempt counter (900 s); the
# rounds make a few hundred thousand, more than the default 32 MiB holds.
OTPStateStore shmcb:(268435456)
OTPPipe tiny exec $work/tiny_validator
OTPPipe sender exec /usr/bin/tee -a $work/sent.jsonl
${static_cases:+OTPPipe tiny_static exec $work/tiny_validator_static}
${BENCH_PIPE_MAX:+OTPPipeMaxConcurrent $BENCH_PIPE_MAX}
<Location /exec>
    AuthType OTP
    AuthName \"exec\"
    OTPValidationPipe tiny
    OTPLockout off
    OTPAddressLockout off
    Require valid-user
</Location>
${static_cases:+<Location /exec-static>
    AuthType OTP
    AuthName \"exec-static\"
    OTPValidationPipe tiny_static
    OTPLockout off
    OTPAddressLockout off
    Require valid-user
</Location>}
<Location /totp>
    AuthType OTP
    AuthName \"totp\"
    OTPUsersFile \"$work/users.oath\"
    OTPValidationPipe totp
    OTPLockout off
    OTPAddressLockout off
    Require valid-user
</Location>
<Location /delivered>
    AuthType OTP
    AuthName \"delivered\"
    OTPUsersFile \"$work/users.oath\"
    OTPValidationPipe delivered
    OTPPrePipe sender
    OTPLockout off
    OTPAddressLockout off
    Require valid-user
</Location>"

post() {  # post PATH JSON: prints "status body"
    curl -s -w ' %{http_code}' -H 'Content-Type: application/json' -H 'Accept: application/json' \
        -d "$2" "$base$1" | awk '{s = $NF; $NF = ""; print s, $0}'
}
expect() {  # expect WHAT STATUS "status body"
    [[ ${3%% *} == "$2" ]] || { echo "$1: got $3, expected $2"; cat "$work/error_log"; exit 1; }
}
# Each path once by hand, so that a benchmark of refusals cannot hide a broken configuration.
# The users named here are outside the ranges wrk uses below (names >= $users for exec).
expect "exec, right code" 200 "$(post /exec/.otp/start \
    '{"type":"start","data":{"user":"check","otp":"123456"}}')"
expect "exec, wrong code" 401 "$(post /exec/.otp/start \
    '{"type":"start","data":{"user":"check","otp":"000000"}}')"
if [[ -n $static_cases ]]; then
    expect "exec-static, right code" 200 "$(post /exec-static/.otp/start \
        '{"type":"start","data":{"user":"check","otp":"123456"}}')"
fi
check=$((users - 1))
expect "totp, right code" 200 "$(post /totp/.otp/start "{\"type\":\"start\",\"data\":{\"user\":\
\"user$check\",\"otp\":\"$(oathtool --totp "$(bench_user_secret "$check")")\"}}")"
expect "delivered, send" 200 "$(post /delivered/.otp/start \
    "{\"type\":\"send\",\"data\":{\"user\":\"user$check\"}}")"
sent=$(sed -n 's/.*"otp":"\([^"]*\)".*/\1/p' "$work/sent.jsonl" | tail -1)
[[ -n $sent ]] || { echo "no code was sent:"; cat "$work/sent.jsonl" "$work/error_log"; exit 1; }
expect "delivered, right code" 200 "$(post /delivered/.otp/start \
    "{\"type\":\"start\",\"data\":{\"user\":\"user$check\",\"otp\":\"$sent\"}}")"

# CPU time (clock ticks) of the httpd children so far: their own (user + system) and that of
# the programs they started and reaped (cutime + cstime).
children_ticks() {
    local pid own=0 programs=0
    for pid in $(pgrep -P "$(cat "$work/httpd.pid")"); do
        read -r u s cu cs < <(awk '{print $14, $15, $16, $17}' "/proc/$pid/stat")
        own=$((own + u + s)); programs=$((programs + cu + cs))
    done
    echo "$own $programs"
}
to_ms() {  # wrk's "7.01ms" / "850.00us" / "1.02s" / "1.5m" -> milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        printf "%.2f", u == "us" ? n / 1000 : u == "ms" ? n : u == "s" ? n * 1000 : n * 60000 }'
}
# measure LABEL PATH CODE OFFSET: one wrk run; appends "LABEL validations/s p99-ms req/s
# µs-httpd-CPU µs-program-CPU (per request) ok invalid locked busy other socket-errors" to
# $work/results.
measure() {
    local label=$1 path=$2 code=$3 offset=$4 before after out
    before=$(children_ticks)
    out=$(START_PATH="$path" START_OTP="$code" START_USERS="$users" START_THREADS=2 \
        START_OFFSET="$offset" wrk -t2 -c32 -d"${duration}s" --latency -s "$work/start.lua" "$base")
    after=$(children_ticks)
    local rate p99 answers
    rate=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    answers=$(awk '/^answers:/ {print $2, $3, $4, $5, $6, $7}' <<<"$out")
    awk -v l="$label" -v r="$rate" -v p="$p99" -v d="$duration" -v hz="$(getconf CLK_TCK)" \
        -v b="$before" -v a="$after" -v ans="$answers" 'BEGIN {
        split(b, B, " "); split(a, A, " "); split(ans, N, " ")
        total = N[1] + N[2] + N[3] + N[4] + N[5]
        valid = total ? r * (N[1] + N[2]) / total : 0
        printf "%s %.0f %s %.0f %.1f %.1f %s\n", l, valid, p, r,
            (A[1] - B[1]) / hz * 1e6 / (r * d), (A[2] - B[2]) / hz * 1e6 / (r * d), ans
    }' >> "$work/results"
}
# floor LABEL PROGRAM: two spawn loops at once for $duration s; appends a row to $work/results
# in measure's layout (no latency, no answers).
floor() {
    local label=$1 program=$2
    { "$work/spawn_loop" "$duration" "$program" & "$work/spawn_loop" "$duration" "$program"
      wait; } | awk -v l="$label" '{n += $1; t = $2 > t ? $2 : t; own += $3; programs += $4}
        END {printf "%s %.0f - %.0f %.1f %.1f - - - - - -\n", l, n / t, n / t,
             own * 1e6 / n, programs * 1e6 / n}' >> "$work/results"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
column_of() {  # column_of LABEL N: the N-th field of LABEL's rows
    awk -v l="$1" -v n="$2" '$1 == l {print $n}' "$work/results"
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "wrk -t2 -c32 -d${duration}s --latency, mpm_event 2 x 32 threads, $users users," \
     "OTPPipeMaxConcurrent ${BENCH_PIPE_MAX:-16 (default)}"
# Each round starts users/rounds further on: within a case no user name is used twice.
for ((round = 1; round <= rounds; round++)); do
    offset=$(( (round - 1) * (users / rounds) ))
    measure exec-wrong /exec/.otp/start 000000 "$offset"
    measure totp /totp/.otp/start 000000 "$offset"
    measure exec-right /exec/.otp/start 123456 "$offset"
    measure delivered /delivered/.otp/start 000000 "$offset"
    if [[ -n $static_cases ]]; then measure exec-static /exec-static/.otp/start 000000 "$offset"; fi
    floor floor-dynamic "$work/tiny_validator"
    if [[ -n $static_cases ]]; then floor floor-static "$work/tiny_validator_static"; fi
done

printf '%-11s %13s %8s %9s %9s %10s   %s\n' case validations/s p99-ms vs-totp 'CPU µs' \
    'program µs' 'rounds: validations/s (answers 200 401 429 503 other errors)'
totp_rate=$(median $(column_of totp 2))
for label in exec-wrong exec-right $static_cases ${static_cases:+floor-static} floor-dynamic \
    totp delivered; do
    rate=$(median $(column_of "$label" 2))
    printf '%-11s %13s %8s %9s %9s %10s   %s\n' "$label" "$rate" \
        "$(median $(column_of "$label" 3))" \
        "$(awk -v a="$rate" -v b="$totp_rate" 'BEGIN {printf "%.2fx", a / b}')" \
        "$(median $(column_of "$label" 5))" "$(median $(column_of "$label" 6))" \
        "$(awk -v l="$label" '$1 == l {printf "%s%s", sep, $2; sep = " | "
            if ($7 != "-") printf " (%s %s %s %s %s %s)", $7, $8, $9, $10, $11, $12}' \
            "$work/results")"
done
echo "(CPU µs: httpd children's own user + system time per request, for the floor the spawn"
echo " loops' own per run; program µs: that of the programs they ran, per request. Neither"
echo " includes wrk, which shares the two cores; the floor runs without wrk and without httpd.)"

if [[ -n ${BENCH_PERF:-} ]]; then
    mkdir -p "$BENCH_PERF"
    children=$(pgrep -P "$(cat "$work/httpd.pid")" | paste -sd,)
    for case in exec totp delivered; do
        perf record -q -g -p "$children" -o "$BENCH_PERF/$case.data" -- \
            sleep $((duration > 3 ? duration - 2 : 1)) >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5
        # Users the rounds did not reach (the last eighth of the file).
        measure "$case-perf" "/$case/.otp/start" 000000 $((users - users / 8))
        wait "$perf_pid" || true
        perf report -i "$BENCH_PERF/$case.data" --stdio --no-children 2>/dev/null \
            > "$BENCH_PERF/$case-report.txt" || true
        perf report -i "$BENCH_PERF/$case.data" --stdio --no-children --sort comm,dso -g none \
            2>/dev/null > "$BENCH_PERF/$case-dso.txt" || true
        perf report -i "$BENCH_PERF/$case.data" --stdio --no-children --sort comm,dso,sym \
            -g none 2>/dev/null > "$BENCH_PERF/$case-sym.txt" || true
        echo "perf $case (wrong codes, perturbed: $(column_of "$case-perf" 2) validations/s," \
             "$(column_of "$case-perf" 5) µs httpd CPU per request): $BENCH_PERF/$case-*.txt"
    done
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
