#!/usr/bin/env bash
# Issue 8, side by side in one run, against a real httpd (mpm_event) on 127.0.0.1:
#  Basic: the same 6-byte file unprotected, with `AuthBasicProvider otp` (OTPBasicLinger hit),
#         `AuthBasicProvider anon` (mod_authn_anon, the floor of Basic auth) and
#         `AuthBasicProvider file` (mod_authn_file, apr1-MD5), with users files of 10 and
#         1,000,000 TOTP users (one httpd per size, all four locations in it);
#  login: AuthType OTP, 1,000,000 users, default lockouts: the file unprotected and with a
#         valid session cookie, then start-endpoint validations/s with a distinct user on every
#         request (bench/start_wrk.lua, wrong codes, per-user lockout on; the per-address limit
#         applies to Basic only), so none is turned into a cheap "locked" refusal.
# Usage: bench/issue8_wrk.sh BUILD_DIR [SECONDS] [ROUNDS]
# Each figure is the median of ROUNDS (default 3) wrk runs of SECONDS (default 5); within a
# round the cases alternate, so a change of the machine's load hits them alike.
# BENCH_PERF=DIR: also `perf record -g` the httpd children during each protected run and write
# DIR/<label>.txt (perf report --no-children); the figures of such a run are perturbed.
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS]}" && pwd)
duration=${2:-5}
rounds=${3:-3}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

# CPU time (clock ticks, user + system) of the httpd children so far.
children_ticks() {
    local pid total=0
    for pid in $(pgrep -P "$(cat "$work/httpd.pid")"); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
    done
    echo "$total"
}
# measure LABEL WRK_ARGS...: prints requests/s (perf-recorded when BENCH_PERF is set) and
# appends "LABEL µs-of-httpd-CPU-per-request" to $work/cpu.log: CPU per request is what other
# jobs on the machine disturb least (req/s also depends on how much CPU is left to us).
measure() {
    local label=$1; shift
    local perf_pid= ticks_before rate
    ticks_before=$(children_ticks)
    if [[ -n ${BENCH_PERF:-} && $label != static* ]]; then
        local children
        children=$(pgrep -P "$(cat "$work/httpd.pid")" | paste -sd,)
        perf record -q -g -p "$children" -o "$BENCH_PERF/$label.data" -- \
            sleep $((duration > 3 ? duration - 2 : 1)) >/dev/null 2>&1 &
        perf_pid=$!
        sleep 0.5
    fi
    rate=$(run_wrk "$@")
    awk -v l="$label" -v t=$(( $(children_ticks) - ticks_before )) -v hz="$(getconf CLK_TCK)" \
        -v r="$rate" -v d="$duration" 'BEGIN {printf "%s %.1f\n", l, t / hz * 1e6 / (r * d)}' \
        >> "$work/cpu.log"
    echo "$rate"
    if [[ -n $perf_pid ]]; then
        wait "$perf_pid" || true
        perf report -i "$BENCH_PERF/$label.data" --stdio --no-children 2>/dev/null \
            > "$BENCH_PERF/$label.txt" || true
        perf report -i "$BENCH_PERF/$label.data" --stdio --no-children --sort dso,sym -g none \
            2>/dev/null > "$BENCH_PERF/$label.flat.txt" || true
    fi
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
ratio() { awk -v p="$1" -v s="$2" 'BEGIN {printf "%.2f", p / s}'; }

modules_dir=$modules
mkdir -p "$work/htdocs/anon" "$work/htdocs/file"
cp "$work/htdocs/file.txt" "$work/htdocs/anon/file.txt"
cp "$work/htdocs/file.txt" "$work/htdocs/file/file.txt"
htpasswd -bcm "$work/users.htpasswd" bench bench-password 2>/dev/null

echo "# $(date -u +%FT%TZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
     "wrk -t2 -c32 -d${duration}s, mpm_event"
echo "## Basic"
printf '%-9s %10s %10s %10s %10s %8s %8s %8s\n' users static otp anon file \
    otp/stat anon/st file/st
declare -A otp_rate
for n in 10 1000000; do
    bench_stop
    bench_users "$n"
    bench_start "LoadModule authn_anon_module $modules_dir/mod_authn_anon.so
LoadModule authn_file_module $modules_dir/mod_authn_file.so
<Location /protected>
    AuthType Basic
    AuthName \"bench\"
    AuthBasicProvider otp
    OTPUsersFile \"$work/users.oath\"
    OTPBasicLinger 3600
    Require valid-user
</Location>
<Location /anon>
    AuthType Basic
    AuthName \"anon\"
    AuthBasicProvider anon
    Anonymous anonymous
    Anonymous_MustGiveEmail off
    Anonymous_LogEmail off
    Require valid-user
</Location>
<Location /file>
    AuthType Basic
    AuthName \"file\"
    AuthBasicProvider file
    AuthUserFile \"$work/users.htpasswd\"
    Require valid-user
</Location>"
    user="user$((n / 2))"
    code=$(oathtool --totp "$(bench_user_secret $((n / 2)))")
    status=$(curl -s -o /dev/null -w '%{http_code}' -u "$user:$code" "$base/protected/file.txt")
    [[ $status == 200 ]] || { echo "login as $user failed: $status"; cat "$work/error_log"; exit 1; }
    for check in "anonymous:x@y /anon" "bench:bench-password /file"; do
        status=$(curl -s -o /dev/null -w '%{http_code}' -u "${check% *}" "$base${check#* }/file.txt")
        [[ $status == 200 ]] || { echo "${check#* }: $status"; cat "$work/error_log"; exit 1; }
    done
    otp_auth="Authorization: Basic $(printf '%s:%s' "$user" "$code" | base64)"
    anon_auth="Authorization: Basic $(printf 'anonymous:x@y' | base64)"
    file_auth="Authorization: Basic $(printf 'bench:bench-password' | base64)"
    s=(); o=(); a=(); f=()
    for ((round = 1; round <= rounds; round++)); do
        s+=("$(measure "static-$n" "$base/file.txt")")
        o+=("$(measure "basic-otp-$n" -H "$otp_auth" "$base/protected/file.txt")")
        a+=("$(measure "basic-anon-$n" -H "$anon_auth" "$base/anon/file.txt")")
        f+=("$(measure "basic-file-$n" -H "$file_auth" "$base/file/file.txt")")
    done
    echo "  rounds: static ${s[*]} | otp ${o[*]} | anon ${a[*]} | file ${f[*]}"
    static=$(median "${s[@]}"); otp=$(median "${o[@]}"); anon=$(median "${a[@]}")
    file=$(median "${f[@]}")
    otp_rate[$n]=$otp
    printf '%-9s %10s %10s %10s %10s %8s %8s %8s\n' "$n" "$static" "$otp" "$anon" "$file" \
        "$(ratio "$otp" "$static")" "$(ratio "$anon" "$static")" "$(ratio "$file" "$static")"
done
echo "otp linger, 1,000,000 users / 10 users: $(ratio "${otp_rate[1000000]}" "${otp_rate[10]}")"

echo "## login (AuthType OTP, 1,000,000 users, default lockouts)"
bench_stop
bench_users 1000000
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/session.key"
chmod 0600 "$work/session.key"
# 256 MiB of state store: each start request below is a wrong code for a new user name from
# a new attempt (two records living 900 s and 300 s), and the rounds make ~100,000 of them,
# more than the default 32 MiB holds (README "State store"; it would answer 503 store_full).
bench_start "OTPSessionKeyFile \"$work/session.key\"
OTPStateStore shmcb:(268435456)
# wrk is one client address sending 40,000 wrong codes per round.
OTPAddressLockout off
<Location /protected>
    AuthType OTP
    AuthName \"bench\"
    OTPUsersFile \"$work/users.oath\"
    Require valid-user
</Location>"
code=$(oathtool --totp "$(bench_user_secret 42)")
cookie=$(curl -s -c - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"type\":\"start\",\"data\":{\"user\":\"user42\",\"otp\":\"$code\"}}" \
    "$base/protected/.otp/start" | awk '$6 == "otp_session" {print $7}')
[[ -n "$cookie" ]] || { echo "login failed"; cat "$work/error_log"; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -b "otp_session=$cookie" "$base/protected/file.txt")
[[ $status == 200 ]] || { echo "session refused: $status"; exit 1; }
s=(); o=()
for ((round = 1; round <= rounds; round++)); do
    s+=("$(measure "static-login" "$base/file.txt")")
    o+=("$(measure "session" -H "Cookie: otp_session=$cookie" "$base/protected/file.txt")")
done
echo "  rounds: static ${s[*]} | session ${o[*]}"
static=$(median "${s[@]}"); session=$(median "${o[@]}")
printf 'static file:              %10s req/s\n' "$static"
printf 'protected, with session:  %10s req/s  (%sx)\n' "$session" "$(ratio "$session" "$static")"

if [[ -n ${BENCH_PERF:-} ]]; then
    children=$(pgrep -P "$(cat "$work/httpd.pid")" | paste -sd,)
    perf record -q -g -p "$children" -o "$BENCH_PERF/start.data" -- \
        sleep $((duration > 3 ? duration - 2 : 1)) >/dev/null 2>&1 &
    perf_pid=$!
fi
# Each round starts 200,000 users further on: no user is guessed for twice.
v=(); answers=()
for ((round = 1; round <= rounds; round++)); do
    t0=$(children_ticks)
    result=$(START_USERS=1000000 START_THREADS=2 START_OFFSET=$(( (round - 1) * 200000 )) \
        wrk -t2 -c32 -d"${duration}s" -s "$here/start_wrk.lua" "$base")
    v+=("$(awk '/^Requests\/sec/ {print $2}' <<<"$result")")
    awk -v t=$(( $(children_ticks) - t0 )) -v hz="$(getconf CLK_TCK)" -v r="${v[-1]}" \
        -v d="$duration" 'BEGIN {printf "start %.1f\n", t / hz * 1e6 / (r * d)}' >> "$work/cpu.log"
    answers+=("$(grep '^answers:' <<<"$result")")
done
if [[ -n ${BENCH_PERF:-} ]]; then
    wait "$perf_pid" || true
    perf report -i "$BENCH_PERF/start.data" --stdio --no-children 2>/dev/null \
        > "$BENCH_PERF/start.txt" || true
fi
echo "  rounds: start ${v[*]}"
printf 'start endpoint, distinct users: %10s validations/s  (%s)\n' "$(median "${v[@]}")" \
    "$(IFS='|'; echo "${answers[*]}")"
echo "## httpd CPU per request (µs, user + system, all children; median of the rounds)"
awk '{v[$1] = v[$1] " " $2} END {for (l in v) print l, v[l]}' "$work/cpu.log" | sort |
    while read -r label values; do
        printf '%-20s %8s   (%s)\n' "$label" "$(median $values)" "$values"
    done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
