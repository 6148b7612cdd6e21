#!/usr/bin/env bash
# End-to-end throughput of an authenticated `AuthBasicProvider otp` request, with users files
# of 10, 10,000 and 1,000,000 users, against a real httpd (mpm_event) on 127.0.0.1.
# The first request validates a TOTP code from oathtool; wrk then resends the same
# credentials, as Basic clients do, which OTPBasicLinger accepts after looking the user up in
# the users file index (so index size is on the measured path).
# Usage: bench/basic_wrk.sh BUILD_DIR [SECONDS] [SIZES...]
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS] [SIZES...]}" && pwd)
duration=${2:-10}
shift $(( $# >= 2 ? 2 : 1 ))
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10 10000 1000000)
source "$(dirname "$0")/common.sh"

echo "# $(date -u +%FT%TZ) $(nproc) cores, wrk -t2 -c32 -d${duration}s, mpm_event"
printf '%-10s %14s %14s %8s\n' users "static req/s" "otp req/s" ratio
for n in "${sizes[@]}"; do
    bench_stop
    bench_users "$n"
    bench_start "<Location /protected>
    AuthType Basic
    AuthName \"bench\"
    AuthBasicProvider otp
    OTPUsersFile \"$work/users.oath\"
    OTPBasicLinger 3600
    Require valid-user
</Location>"
    user="user$((n / 2))"
    code=$(oathtool --totp "$(bench_user_secret $((n / 2)))")
    status=$(curl -s -o /dev/null -w '%{http_code}' -u "$user:$code" "$base/protected/file.txt")
    [[ $status == 200 ]] || { echo "login as $user failed: $status"; cat "$work/error_log"; exit 1; }
    auth="Authorization: Basic $(printf '%s:%s' "$user" "$code" | base64)"
    static=$(run_wrk "$base/file.txt")
    protected=$(run_wrk -H "$auth" "$base/protected/file.txt")
    printf '%-10s %14s %14s %8.2f\n' "$n" "$static" "$protected" \
        "$(awk -v p="$protected" -v s="$static" 'BEGIN {print p / s}')"
done
