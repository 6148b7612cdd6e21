#!/usr/bin/env bash
# Issue 13, side by side in one run: two real httpd servers (mpm_event, 2 x 32 threads) on
# 127.0.0.1 with the same configuration except the state store, one with `OTPStateStore shmcb`
# (mod_otp's shared memory table, one host), one with `OTPStateStore redis://` to a real
# redis-server on loopback (no persistence), all on the same two cores as wrk. Per round, the
# cases alternate between the two servers:
#  static:        the 6-byte file unprotected (the floor);
#  session:       the same file protected by AuthType OTP with a valid session cookie (the
#                 session's revocation is asked of the store once per OTPSessionRecheck per
#                 process: 1 s with Redis, 5 s with shmcb);
#  start:         POST /protected/.otp/start, a different user on every request, wrong code
#                 000000, the default user lockout (OTPAddressLockout off: wrk is one client
#                 address): every request a full validation (retry counter, user lockout
#                 counter, TOTP window), answer 401 invalid_otp.
# Goals (issue 13): start with redis >= 0.8x start with shmcb; session with redis >= 0.9x static.
# Usage: bench/issue13_redis.sh BUILD_DIR [SECONDS] [ROUNDS]   (defaults 5 and 3; medians)
# Environment: BENCH_PORT (shmcb server, default 18913; the redis server +1, redis-server +2);
# BENCH_REDIS_UNIX=1: the Redis server reached through its Unix socket (redis+unix://) instead.
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS] [ROUNDS]}" && pwd)
duration=${2:-5}
rounds=${3:-3}
export BENCH_PORT=${BENCH_PORT:-18913}
redis_http_port=$((BENCH_PORT + 1))
redis_port=$((BENCH_PORT + 2))
for p in "$BENCH_PORT" "$redis_http_port" "$redis_port"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
        echo "port $p is in use; set BENCH_PORT" >&2; exit 1
    fi
done
command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
source "$here/common.sh"

users=1000000
bench_users "$users"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/session.key"
chmod 0600 "$work/session.key"

# redis-server: loopback only, no persistence, stopped by PID on exit.
mkdir -p "$work/redis"
redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no \
    --unixsocket "$work/redis/redis.sock" --unixsocketperm 777 \
    --dir "$work/redis" --daemonize yes --pidfile "$work/redis/redis.pid" \
    --logfile "$work/redis/redis.log"
for _ in $(seq 50); do redis-cli -p "$redis_port" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
redis_pid=$(cat "$work/redis/redis.pid")

location="OTPSessionKeyFile \"$work/session.key\"
<Location /protected>
    AuthType OTP
    AuthName \"bench\"
    OTPUsersFile \"$work/users.oath\"
    OTPAddressLockout off
    Require valid-user
</Location>"

redis_store=redis://127.0.0.1:$redis_port
[[ ${BENCH_REDIS_UNIX:-0} == 1 ]] && redis_store=redis+unix://$work/redis/redis.sock
# The shmcb server is common.sh's; the redis one a copy of its configuration with its own
# port, pid file and error log.
# 256 MiB (two million records): three rounds of wrong guesses for new users, two records
# each, fill the default 32 MiB; Redis holds them all as well.
bench_start "OTPStateStore shmcb:(268435456)
$location"
sed -e "s/^Listen .*/Listen 127.0.0.1:$redis_http_port/" \
    -e "s|^PidFile .*|PidFile \"$work/httpd-redis.pid\"|" \
    -e "s|^ErrorLog .*|ErrorLog \"$work/error_log-redis\"|" \
    -e "s|^OTPStateStore shmcb.*|OTPStateStore $redis_store|" \
    "$work/httpd.conf" > "$work/httpd-redis.conf"
"$httpd" -f "$work/httpd-redis.conf" -k start
redis_base="http://127.0.0.1:$redis_http_port"
for _ in $(seq 50); do curl -s -o /dev/null "$redis_base/file.txt" && break; sleep 0.2; done
stop_all() {
    [[ -f "$work/httpd-redis.pid" ]] && kill "$(cat "$work/httpd-redis.pid")" 2>/dev/null
    kill "$redis_pid" 2>/dev/null
    bench_stop
    rm -rf "$work"
}
trap stop_all EXIT

# A session cookie from each server (user42 there, user43 here: no replay between them).
login() {  # login BASE USER_INDEX -> cookie
    local code
    code=$(oathtool --totp "$(bench_user_secret "$2")")
    curl -s -c - -o /dev/null -H 'Content-Type: application/json' \
        -d "{\"type\":\"start\",\"data\":{\"user\":\"user$2\",\"otp\":\"$code\"}}" \
        "$1/protected/.otp/start" | awk '$6 == "otp_session" {print $7}'
}
shm_cookie=$(login "$base" 42)
redis_cookie=$(login "$redis_base" 43)
for pair in "$base $shm_cookie" "$redis_base $redis_cookie"; do
    set -- $pair
    [[ -n "${2:-}" ]] || { echo "login at $1 failed"; exit 1; }
    status=$(curl -s -o /dev/null -w '%{http_code}' -b "otp_session=$2" "$1/protected/file.txt")
    [[ $status == 200 ]] || { echo "session refused at $1: $status"; exit 1; }
    status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d '{"type":"start","data":{"user":"user7","otp":"000000"}}' "$1/protected/.otp/start")
    [[ $status == 401 ]] || { echo "a wrong code at $1 answered $status, not 401"; exit 1; }
done
# The wrong code above counted in Redis: the store is really used.
[[ $(redis-cli -p "$redis_port" dbsize) -gt 0 ]] || { echo "nothing in Redis"; exit 1; }

export START_USERS=$users START_THREADS=2
median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
declare -A results
offset=1000
echo "# $(date -u +%FT%TZ) $(nproc) cores, wrk -t2 -c32 -d${duration}s x $rounds rounds, mpm_event, $redis_store," \
     "load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for store in shmcb redis; do
        if [[ $store == shmcb ]]; then url=$base cookie=$shm_cookie; else url=$redis_base cookie=$redis_cookie; fi
        results[$store-static]+="$(run_wrk "$url/file.txt") "
        results[$store-session]+="$(run_wrk -H "Cookie: otp_session=$cookie" "$url/protected/file.txt") "
        # Users of its own for every (store, round): no user ever gets a second wrong guess.
        offset=$((offset + 15000 * duration))
        out=$(START_OFFSET=$offset wrk -t2 -c32 -d"${duration}s" -s "$here/start_wrk.lua" "$url")
        results[$store-start]+="$(awk '/^Requests\/sec/ {print $2}' <<<"$out") "
        # A wrong code is right by chance about once in 330,000 guesses (1e-6 per code, three
        # time steps): at most two such 200s are no failure.
        grep -Eq 'answers: invalid_otp [1-9][0-9]*, locked 0, other [0-2]$' <<<"$out" &&
            ! grep -q 'first other answer: [^2]' <<<"$out" ||
            { echo "start at $store: unexpected answers: $(grep -E '^(answers|first other)' <<<"$out")"; exit 1; }
    done
done
get() { tr ' ' '\n' <<<"${results[$1]}" | grep . | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
printf '%-26s %12s %12s\n' case shmcb redis
for c in static session start; do
    printf '%-26s %12s %12s   (rounds: shmcb %s/ redis %s)\n' "$c" "$(get shmcb-$c)" \
        "$(get redis-$c)" "${results[shmcb-$c]}" "${results[redis-$c]}"
done
echo "start, redis / shmcb:       $(ratio "$(get redis-start)" "$(get shmcb-start)")x   (goal >= 0.8)"
echo "session / static, redis:    $(ratio "$(get redis-session)" "$(get redis-static)")x   (goal >= 0.9)"
echo "session / static, shmcb:    $(ratio "$(get shmcb-session)" "$(get shmcb-static)")x"
if grep -E "state store unavailable|AH00052|exit signal" "$work/error_log-redis" "$work/error_log"; then
    echo "errors in the servers' logs (above)"; exit 1
fi
