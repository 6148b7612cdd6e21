#!/usr/bin/env bash
# The interactive login under load, against a real httpd (mpm_event) on 127.0.0.1:
#  1. the same small file, unprotected and protected by AuthType OTP with a valid session
#     cookie, in one run (goal: protected >= 0.95x unprotected);
#  2. start-endpoint validations per second with distinct users (10,000 users cycled, wrong
#     codes, so every request is a full validation: attempt, counters, TOTP check, events off).
# Usage: bench/login_wrk.sh BUILD_DIR [SECONDS]
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS]}" && pwd)
duration=${2:-10}
source "$(dirname "$0")/common.sh"

bench_users 10000
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/session.key"
chmod 0600 "$work/session.key"
bench_start "OTPSessionKeyFile \"$work/session.key\"
<Location /protected>
    AuthType OTP
    AuthName \"bench\"
    OTPUsersFile \"$work/users.oath\"
    OTPLockout off
    OTPAllowedRetry 100
    Require valid-user
</Location>"

code=$(oathtool --totp "$(bench_user_secret 42)")
cookie=$(curl -s -c - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"type\":\"start\",\"data\":{\"user\":\"user42\",\"otp\":\"$code\"}}" \
    "$base/protected/.otp/start" | awk '$6 == "otp_session" {print $7}')
[[ -n "$cookie" ]] || { echo "login failed"; cat "$work/error_log"; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' -b "otp_session=$cookie" "$base/protected/file.txt")
[[ $status == 200 ]] || { echo "session refused: $status"; exit 1; }

echo "# $(date -u +%FT%TZ) $(nproc) cores, wrk -t2 -c32 -d${duration}s, mpm_event"
static=$(run_wrk "$base/file.txt")
protected=$(run_wrk -H "Cookie: otp_session=$cookie" "$base/protected/file.txt")
printf 'static file:              %10s req/s\n' "$static"
printf 'protected, with session:  %10s req/s  (%.2fx)\n' "$protected" \
    "$(awk -v p="$protected" -v s="$static" 'BEGIN {print p / s}')"

cat > "$work/start.lua" <<'LUA'
local counter = 0
request = function()
    counter = counter + 1
    local body = string.format('{"type":"start","data":{"user":"user%d","otp":"000000"}}',
                               counter % 10000)
    return wrk.format("POST", "/protected/.otp/start",
                      {["Content-Type"] = "application/json", ["Accept"] = "application/json"},
                      body)
end
LUA
result=$(wrk -t2 -c32 -d"${duration}s" -s "$work/start.lua" "$base")
rate=$(awk '/^Requests\/sec/ {print $2}' <<<"$result")
non2xx=$(awk '/Non-2xx/ {print $5}' <<<"$result")
printf 'start endpoint, distinct users: %10s validations/s  (%s answered 401 as expected)\n' \
    "$rate" "${non2xx:-0}"
