#!/usr/bin/env bash
# Issue 11, side by side in one run against one real httpd (mpm_event, 2 x 32 threads) on
# 127.0.0.1, the cases alternating within each round (wrk -t2 -c32 on the same two cores):
#  static:      the 6-byte file unprotected (the floor, for context);
#  start:       POST /protected/.otp/start (AuthType OTP), a different user on every request,
#               wrong code 000000: every request a full validation (attempt, admission counters,
#               TOTP window), answer 401 invalid_otp (as bench/login_wrk.sh);
#  verify:      POST /api/verify (SetHandler otp-verify, Require all granted)
#               {"userName":"userN","otp":"000000"}, different users, wrong codes: 401 errorCode 2000;
#  verify-ip:   the same at /api-ip, which has Require ip 127.0.0.1 (mod_authz_host);
#  verify-txn:  /api/verify with a new clientTxnId on every call (a transaction counter each,
#               as an AuthMinder-style caller makes them);
#  verify-lockout: /api-lock/verify, the default OTPLockout (5 300 900), users lk<N> of a second
#               users file of which every round takes users of its own: one wrong guess per user,
#               never locked, so each call reads and writes the user's lockout records (without
#               clientTxnId and with OTPLockout off, a wrong code at the API touches no store
#               record at all);
#  start-valid / verify-valid (BENCH_VALID=1, the default): the right TOTP code of each user
#               (computed by this script just before the wrk run; every (case, round) gets users
#               of its own, so no code is a replay): 200 COMPLETED + session cookie / 200 SUCCESS.
# All other OTP locations: the same OTPUsersFile, OTPLockout off, OTPAllowedRetry 100 (the start
# location also OTPAddressLockout off; the API does not lock addresses out).
# Before measuring, each path is checked once by hand: a wrong code at /api/verify and
# /api-ip/verify must be 401 with errorCode 2000, a correct oathtool code 200 SUCCESS, the start
# endpoint 401 / 200, and a location with `Require ip` of another address must answer 403; the
# script exits 1 otherwise.
# Usage: bench/issue11_verify.sh BUILD_DIR [SECONDS] [ROUNDS]
# Each figure is the median of ROUNDS (default 3) wrk runs of SECONDS (default 5); verify and
# verify-ip swap places every other round.
# Environment: BENCH_PORT (default 18941; must be free), BENCH_USERS (users file size, default
# 200000, raised to hold the valid-code slices), BENCH_VALID=0 (skip the valid-code cases),
# BENCH_PERF=DIR: after the rounds, one more run each of verify, verify-ip and start under
# `perf record -g` of the httpd children; reports in DIR/<case>-{report,dso,sym}.txt.
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS] [ROUNDS]}" && pwd)
duration=${2:-5}
rounds=${3:-3}
valid=${BENCH_VALID:-1}
export BENCH_PORT=${BENCH_PORT:-18941}
# A server already listening there would answer common.sh's start-up probe and be measured.
if (exec 3<>"/dev/tcp/127.0.0.1/$BENCH_PORT") 2>/dev/null; then
    echo "port $BENCH_PORT is in use; set BENCH_PORT" >&2; exit 1
fi
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

# Valid-code slices: at most slice_cap requests per (case, round); beyond, codes repeat (replays,
# counted as 401s and reported).
slice_cap=$((15000 * duration))
users=${BENCH_USERS:-200000}
if [[ $valid == 1 ]] && ((users < 2 * rounds * slice_cap + 1000)); then
    users=$((2 * rounds * slice_cap + 1000))
fi
bench_users "$users"
lock_users=$((rounds * slice_cap + 1000))
awk -v n="$lock_users" -v s="$bench_secret_prefix" 'BEGIN { for (i = 0; i < n; i++)
    printf "HOTP/T30\tlk%d\t-\t%s%08x\n", i, s, i }' > "$work/lock-users.oath"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/session.key"
chmod 0600 "$work/session.key"

# codes FIRST COUNT: "user<i> <current TOTP code>" for users FIRST .. FIRST+COUNT-1 (SHA-1, 30 s,
# 6 digits, the keys of bench_users).
codes() {
    python3 - "$1" "$2" "$bench_secret_prefix" <<'PY'
import hashlib, hmac, struct, sys, time
first, count, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
msg = struct.pack(">Q", int(time.time()) // 30)
out = []
for i in range(first, first + count):
    h = hmac.new(bytes.fromhex("%s%08x" % (prefix, i)), msg, hashlib.sha1).digest()
    o = h[-1] & 15
    out.append("user%d %06d" % (i, (int.from_bytes(h[o:o + 4], "big") & 0x7fffffff) % 1000000))
sys.stdout.write("\n".join(out) + "\n")
PY
}

# One wrk script for every OTP case. BENCH_MODE start | verify | verify-txn; BENCH_PATH;
# with BENCH_CODES (a file of "user code" lines) thread t of T sends lines t, t+T, ...; else
# user<(offset + t + T*n) % users> with BENCH_OTP. Counts answers: 200, 401 (and of those the
# ones whose body says invalid_otp), 429, 503, other; socket errors.
cat > "$work/bench.lua" <<'LUA'
local mode = os.getenv("BENCH_MODE")
local path = os.getenv("BENCH_PATH")
local otp = os.getenv("BENCH_OTP")
local codes_file = os.getenv("BENCH_CODES")
local users = tonumber(os.getenv("BENCH_USERS"))
local prefix = os.getenv("BENCH_PREFIX") or "user"
local step = tonumber(os.getenv("BENCH_THREADS"))
local offset = tonumber(os.getenv("BENCH_OFFSET"))
local threads = {}
local next_id = 0
function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end
local list = nil
function init(args)
    if codes_file and codes_file ~= "" then
        list = {}
        local n = 0
        for line in io.lines(codes_file) do
            if n % step == id then
                local u, c = line:match("^(%S+) (%S+)$")
                table.insert(list, {u, c})
            end
            n = n + 1
        end
    end
end
local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
local counter = 0
ok, invalid, invalid_body, refused, busy, other = 0, 0, 0, 0, 0, 0
function request()
    local user, code
    if list then
        local e = list[counter % #list + 1]
        user, code = e[1], e[2]
    else
        user, code = prefix .. ((offset + id + step * counter) % users), otp
    end
    counter = counter + 1
    local body
    if mode == "start" then
        body = string.format('{"type":"start","data":{"user":"%s","otp":"%s"}}', user, code)
    elseif mode == "verify-txn" then
        body = string.format('{"userName":"%s","otp":"%s","clientTxnId":"b%d-%d"}',
                             user, code, id, counter)
    else
        body = string.format('{"userName":"%s","otp":"%s"}', user, code)
    end
    return wrk.format("POST", path, headers, body)
end
function response(status, headers, body)
    if status == 200 then ok = ok + 1
    elseif status == 401 then
        invalid = invalid + 1
        if body and string.find(body, "invalid_otp", 1, true) then
            invalid_body = invalid_body + 1
        end
    elseif status == 429 then refused = refused + 1
    elseif status == 503 then busy = busy + 1
    else other = other + 1 end
end
function done(summary, latency, requests)
    local t = {ok = 0, invalid = 0, invalid_body = 0, refused = 0, busy = 0, other = 0}
    for _, thread in ipairs(threads) do
        for k in pairs(t) do t[k] = t[k] + thread:get(k) end
    end
    io.write(string.format("answers: %d %d %d %d %d %d %d\n", t.ok, t.invalid, t.invalid_body,
                           t.refused, t.busy, t.other, summary.errors.connect +
                           summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA

otp_common="OTPUsersFile \"$work/users.oath\"
    OTPLockout off
    OTPAllowedRetry 100"
bench_start "LoadModule authz_host_module $modules/mod_authz_host.so
OTPSessionKeyFile \"$work/session.key\"
# The rounds leave a few hundred thousand records (attempt counters, used codes, sessions):
# more than the default 32 MiB holds.
OTPStateStore shmcb:(268435456)
<Location /protected>
    AuthType OTP
    AuthName \"bench\"
    $otp_common
    OTPAddressLockout off
    Require valid-user
</Location>
<Location /api>
    SetHandler otp-verify
    $otp_common
    Require all granted
</Location>
<Location /api-ip>
    SetHandler otp-verify
    $otp_common
    Require ip 127.0.0.1
</Location>
<Location /api-lock>
    SetHandler otp-verify
    OTPUsersFile \"$work/lock-users.oath\"
    Require ip 127.0.0.1
</Location>
<Location /api-deny>
    SetHandler otp-verify
    $otp_common
    Require ip 192.0.2.1
</Location>"

post() {  # post PATH JSON: prints "status body" (the body on one line)
    local out
    out=$(curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
        -H 'Accept: application/json' -d "$2" "$base$1")
    printf '%s %s\n' "${out##*$'\n'}" "$(tr '\n' ' ' <<<"${out%$'\n'*}")"
}
fail() { echo "CHECK FAILED: $*" >&2; echo "--- error_log:" >&2; cat "$work/error_log" >&2; exit 1; }
expect() {  # expect WHAT STATUS "status body" [REGEX...]: the status, and every REGEX in the body
    local what=$1 status=$2 answer=$3 re
    shift 3
    [[ ${answer%% *} == "$status" ]] || fail "$what: got '$answer', expected status $status"
    for re in "$@"; do
        grep -Eq -- "$re" <<<"${answer#* }" || fail "$what: got '$answer', expected a body matching $re"
    done
}
totp() { oathtool --totp "$(bench_user_secret "$1")"; }
code2000='"errorCode"[[:space:]]*:[[:space:]]*2000[^0-9]'
invalid='"error"[[:space:]]*:[[:space:]]*"invalid_otp"'
success='"status"[[:space:]]*:[[:space:]]*"SUCCESS"'
# The checks use the last users of the file, which no valid-code slice reaches.
u1=$((users - 1)); u2=$((users - 2)); u3=$((users - 3))
for loc in /api /api-ip; do
    expect "$loc/verify, wrong code" 401 \
        "$(post "$loc/verify" "{\"userName\":\"user$u1\",\"otp\":\"000000\"}")" \
        "$code2000" "$invalid"
done
code1=$(totp "$u1")
lk=$((lock_users - 1))
expect "/api-lock/verify, wrong code" 401 \
    "$(post /api-lock/verify "{\"userName\":\"lk$lk\",\"otp\":\"000000\"}")" "$code2000" "$invalid"
expect "/api-lock/verify, oathtool code of lk$lk" 200 \
    "$(post /api-lock/verify "{\"userName\":\"lk$lk\",\"otp\":\"$(totp "$lk")\"}")" "$success"
# OTPLockout is in force there: 5 wrong codes lock the user, whose right code is then refused.
for _ in 1 2 3 4 5; do post /api-lock/verify "{\"userName\":\"lk$((lk - 1))\",\"otp\":\"000000\"}" >/dev/null; done
expect "/api-lock/verify, right code after 5 wrong ones" 429 \
    "$(post /api-lock/verify "{\"userName\":\"lk$((lk - 1))\",\"otp\":\"$(totp $((lk - 1)))\"}")" \
    '"errorCode"[[:space:]]*:[[:space:]]*2003[^0-9]'
expect "/api/verify, oathtool code of user$u1" 200 \
    "$(post /api/verify "{\"userName\":\"user$u1\",\"otp\":\"$code1\"}")" \
    "$success" "\"userName\"[[:space:]]*:[[:space:]]*\"user$u1\""
expect "/api-ip/verify, oathtool code of user$u2" 200 \
    "$(post /api-ip/verify "{\"userName\":\"user$u2\",\"otp\":\"$(totp "$u2")\"}")" "$success"
expect "/api-deny/verify (Require ip 192.0.2.1)" 403 \
    "$(post /api-deny/verify "{\"userName\":\"user$u3\",\"otp\":\"$(totp "$u3")\"}")"
expect "start, wrong code" 401 \
    "$(post /protected/.otp/start "{\"type\":\"start\",\"data\":{\"user\":\"user$u3\",\"otp\":\"000000\"}}")" \
    invalid_otp
expect "start, oathtool code of user$u3" 200 \
    "$(post /protected/.otp/start "{\"type\":\"start\",\"data\":{\"user\":\"user$u3\",\"otp\":\"$(totp "$u3")\"}}")" \
    COMPLETED
if [[ $valid == 1 ]]; then
    [[ $(codes "$u1" 1) == "user$u1 $(totp "$u1")" ]] ||
        fail "this script's TOTP codes differ from oathtool's: $(codes "$u1" 1) vs $(totp "$u1")"
fi
# Not preconditions of the benchmark, but promised by the README: reported, not fatal.
replay=$(post /api/verify "{\"userName\":\"user$u1\",\"otp\":\"$code1\"}")
[[ ${replay%% *} == 401 ]] || echo "NOTE: the same code again at /api/verify answered: $replay"
if ! grep -q 'SetHandler otp-verify without any Require' "$work/error_log"; then :; else
    echo "NOTE: startup warning about an unprotected verify section:"
    grep 'SetHandler otp-verify without any Require' "$work/error_log"
fi

children_ticks() {  # user + system clock ticks of the httpd children so far
    local pid total=0
    for pid in $(pgrep -P "$(cat "$work/httpd.pid")"); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}
to_ms() {  # wrk's "7.01ms" / "850.00us" / "1.02s" -> milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        printf "%.2f", u == "us" ? n / 1000 : u == "ms" ? n : u == "s" ? n * 1000 : n * 60000 }'
}
# measure LABEL MODE PATH OTP OFFSET [CODES [USERS PREFIX]]: one wrk run; appends "LABEL calls/s p99-ms req/s
# httpd-CPU-µs/req ok 401 401-invalid_otp 429 503 other errors" to $work/results. calls/s counts
# only 200 and 401 answers (the static case: every request).
measure() {
    local label=$1 mode=$2 path=$3 code=$4 offset=$5 codes_file=${6:-} n=${7:-$users}
    local prefix=${8:-user} before after out
    before=$(children_ticks)
    if [[ $mode == static ]]; then
        out=$(wrk -t2 -c32 -d"${duration}s" --latency "$base$path")
    else
        out=$(BENCH_MODE="$mode" BENCH_PATH="$path" BENCH_OTP="$code" BENCH_CODES="$codes_file" \
            BENCH_USERS="$n" BENCH_PREFIX="$prefix" BENCH_THREADS=2 BENCH_OFFSET="$offset" \
            wrk -t2 -c32 -d"${duration}s" --latency -s "$work/bench.lua" "$base")
    fi
    after=$(children_ticks)
    local rate p99 answers
    rate=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
    answers=$(awk '/^answers:/ {print $2, $3, $4, $5, $6, $7, $8}' <<<"$out")
    [[ -n $answers ]] || answers="- - - - - - -"
    awk -v l="$label" -v r="$rate" -v p="$p99" -v d="$duration" -v hz="$(getconf CLK_TCK)" \
        -v b="$before" -v a="$after" -v ans="$answers" 'BEGIN {
        split(ans, N, " ")
        total = N[1] + N[2] + N[4] + N[5] + N[6]
        calls = N[1] == "-" ? r : (total ? r * (N[1] + N[2]) / total : 0)
        printf "%s %.0f %s %.0f %.1f %s\n", l, calls, p, r, (a - b) / hz * 1e6 / (r * d), ans
    }' >> "$work/results"
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
column_of() { awk -v l="$1" -v n="$2" '$1 == l {print $n}' "$work/results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a / b : 0}'; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "wrk -t2 -c32 -d${duration}s --latency, mpm_event 2 x 32 threads, $users users," \
     "mod_otp.so of $(date -u -r "$BUILD/mod_otp.so" +%FT%TZ)"
wrong_cases="start verify verify-ip verify-txn verify-lockout"
valid_cases=
[[ $valid == 1 ]] && valid_cases="start-valid verify-valid"
for ((round = 1; round <= rounds; round++)); do
    # Wrong codes: each round starts users/rounds further on.
    offset=$(( (round - 1) * (users / rounds) ))
    measure static static /file.txt - 0
    measure start start /protected/.otp/start 000000 "$offset"
    # verify and verify-ip swap places every other round: neither always follows start.
    if ((round % 2)); then
        measure verify verify /api/verify 000000 "$offset"
        measure verify-ip verify /api-ip/verify 000000 "$offset"
    else
        measure verify-ip verify /api-ip/verify 000000 "$offset"
        measure verify verify /api/verify 000000 "$offset"
    fi
    measure verify-txn verify-txn /api/verify 000000 "$offset"
    measure verify-lockout verify /api-lock/verify 000000 $(( (round - 1) * slice_cap )) "" \
        "$lock_users" lk
    if [[ $valid == 1 ]]; then
        # Slice 2*(round-1) for start, the next for verify: users nobody has logged in yet.
        codes $(( (2 * round - 2) * slice_cap )) "$slice_cap" > "$work/codes"
        measure start-valid start /protected/.otp/start - 0 "$work/codes"
        codes $(( (2 * round - 1) * slice_cap )) "$slice_cap" > "$work/codes"
        measure verify-valid verify /api/verify - 0 "$work/codes"
    fi
done

start_rate=$(median $(column_of start 2))
verify_rate=$(median $(column_of verify 2))
ip_rate=$(median $(column_of verify-ip 2))
static_rate=$(median $(column_of static 2))
printf '%-14s %9s %9s %8s %8s %7s   %s\n' case calls/s vs-start vs-static p99-ms 'CPU µs' \
    'rounds: calls/s (answers 200 401 401-invalid_otp 429 503 other errors)'
for label in static $wrong_cases $valid_cases; do
    rate=$(median $(column_of "$label" 2))
    printf '%-14s %9s %8sx %8sx %8s %7s   %s\n' "$label" "$rate" "$(ratio "$rate" "$start_rate")" \
        "$(ratio "$rate" "$static_rate")" "$(median $(column_of "$label" 3))" \
        "$(median $(column_of "$label" 5))" \
        "$(awk -v l="$label" '$1 == l {printf "%s%s", sep, $2; sep = " | "
            if ($6 != "-") printf " (%s %s %s %s %s %s %s)", $6, $7, $8, $9, $10, $11, $12}' \
            "$work/results")"
done
# Per-round ratios (the cases of a round ran back to back).
per_round() {  # per_round A B: "r1 r2 ..." of A/B within each round
    paste <(column_of "$1" 2) <(column_of "$2" 2) | awk '{printf "%s%.2f", (NR > 1 ? " " : ""), $1 / $2}'
}
echo "verify / start:           $(ratio "$verify_rate" "$start_rate")x (rounds: $(per_round verify start))"
echo "verify-ip / verify:       $(ratio "$ip_rate" "$verify_rate")x (rounds: $(per_round verify-ip verify))"
echo "verify-ip / start:        $(ratio "$ip_rate" "$start_rate")x (rounds: $(per_round verify-ip start))"
goal() {  # goal WHAT RATE
    local r; r=$(ratio "$2" "$start_rate")
    awk -v w="$1" -v rate="$2" -v r="$r" 'BEGIN {
        printf "goal %-10s >= 0.9x start: %s (%.2fx); >= 5,000/s: %s (%d/s)\n", w,
            (r >= 0.9 ? "met" : "NOT met"), r, (rate >= 5000 ? "met" : "NOT met"), rate }'
}
goal verify "$verify_rate"
goal verify-ip "$ip_rate"
echo "(calls/s: wrk's req/s times the share of 200 and 401 answers; CPU µs: the httpd children's"
echo " user + system time per request, wrk excluded; the valid-code rows are the first use of"
echo " each user's code, and their 401s are replays after a slice of $slice_cap ran out)"
# Errors besides the one the /api-deny check provokes (AH01630), grouped by message.
errors=$(grep -E ':(error|crit|alert|emerg)\]|AH00052|AH00060|segfault' "$work/error_log" |
    grep -v AH01630 | sed -E 's/^\[[^]]*\] //; s/\[pid [^]]*\] //; s/\[client [^]]*\] //' |
    sort | uniq -c | sort -rn | head -10 || true)
[[ -z $errors ]] || { echo "NOTE: the error log has errors:"; echo "$errors"; }

if [[ -n ${BENCH_PERF:-} ]]; then
    mkdir -p "$BENCH_PERF"
    children=$(pgrep -P "$(cat "$work/httpd.pid")" | paste -sd,)
    for case in verify verify-ip start; do
        case $case in
            verify) path=/api/verify mode=verify ;;
            verify-ip) path=/api-ip/verify mode=verify ;;
            start) path=/protected/.otp/start mode=start ;;
        esac
        perf record -q -g -p "$children" -o "$BENCH_PERF/$case.data" -- \
            sleep $((duration > 3 ? duration - 2 : 1)) >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5
        measure "$case-perf" "$mode" "$path" 000000 $((users / 7))
        wait "$perf_pid" || true
        perf report -i "$BENCH_PERF/$case.data" --stdio --no-children 2>/dev/null \
            > "$BENCH_PERF/$case-report.txt" || true
        perf report -i "$BENCH_PERF/$case.data" --stdio --no-children --sort dso -g none \
            2>/dev/null > "$BENCH_PERF/$case-dso.txt" || true
        perf report -i "$BENCH_PERF/$case.data" --stdio --no-children --sort dso,sym -g none \
            2>/dev/null > "$BENCH_PERF/$case-sym.txt" || true
        echo "perf $case (perturbed: $(column_of "$case-perf" 2) calls/s," \
             "$(column_of "$case-perf" 5) µs httpd CPU per request): $BENCH_PERF/$case-*.txt"
    done
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
