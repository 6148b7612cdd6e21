#!/usr/bin/env bash
# End-to-end throughput of an authenticated `AuthBasicProvider otp` request, with users files
# of 10, 10,000 and 1,000,000 users, against a real httpd (mpm_event) on 127.0.0.1.
# The first request validates a TOTP code from oathtool; wrk then resends the same
# credentials, as Basic clients do, which OTPBasicLinger accepts after looking the user up in
# the users file index (so index size is on the measured path).
# Usage: bench/basic_wrk.sh BUILD_DIR [SECONDS] [SIZES...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [SECONDS] [SIZES...]}" && pwd)
duration=${2:-10}
shift $(( $# >= 2 ? 2 : 1 ))
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(10 10000 1000000)

apxs=$(command -v apxs || command -v apxs2)
httpd=$("$apxs" -q SBINDIR)/$("$apxs" -q TARGET)
modules=$("$apxs" -q LIBEXECDIR)
port=${BENCH_PORT:-18080}
work=$(mktemp -d /tmp/mod_otp-bench.XXXXXX)
chmod 0755 "$work"
cp "$build/mod_otp.so" "$work/"
mkdir -p "$work/htdocs"
printf 'hello\n' > "$work/htdocs/file.txt"
secret=3132333435363738393031323334353637383930

stop() { [[ -f "$work/httpd.pid" ]] && kill "$(cat "$work/httpd.pid")" 2>/dev/null; sleep 1; }
trap 'stop; rm -rf "$work"' EXIT

write_config() {
    cat > "$work/httpd.conf" <<CONF
ServerRoot "$work"
Listen 127.0.0.1:$port
PidFile "$work/httpd.pid"
ErrorLog "$work/error_log"
LogLevel warn
User nobody
Group nogroup
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authn_core_module $modules/mod_authn_core.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule authz_user_module $modules/mod_authz_user.so
LoadModule auth_basic_module $modules/mod_auth_basic.so
LoadModule socache_shmcb_module $modules/mod_socache_shmcb.so
LoadModule alias_module $modules/mod_alias.so
LoadModule otp_module $work/mod_otp.so
StartServers 2
ThreadsPerChild 32
MaxRequestWorkers 128
DocumentRoot "$work/htdocs"
<Directory "$work/htdocs">
    Require all granted
</Directory>
Alias /protected/file.txt "$work/htdocs/file.txt"
<Location /protected>
    AuthType Basic
    AuthName "bench"
    AuthBasicProvider otp
    OTPUsersFile "$work/users.oath"
    OTPBasicLinger 3600
    Require valid-user
</Location>
CONF
}

run_wrk() {  # prints requests/s
    wrk -t2 -c32 -d"${duration}s" "$@" | awk '/^Requests\/sec/ {print $2}'
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, wrk -t2 -c32 -d${duration}s, mpm_event"
printf '%-10s %14s %14s %8s\n' users "static req/s" "otp req/s" ratio
for n in "${sizes[@]}"; do
    stop
    awk -v n="$n" -v s="$secret" 'BEGIN { for (i = 0; i < n; i++)
        printf "HOTP/T30\tuser%d\t-\t%s%08x\n", i, substr(s, 1, 32), i }' > "$work/users.oath"
    chown -R nobody:nogroup "$work"
    write_config
    "$httpd" -f "$work/httpd.conf" -k start
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$port/file.txt" && break; sleep 0.2; done
    user="user$((n / 2))"
    user_secret="${secret:0:32}$(printf '%08x' $((n / 2)))"
    code=$(oathtool --totp "$user_secret")
    status=$(curl -s -o /dev/null -w '%{http_code}' -u "$user:$code" "http://127.0.0.1:$port/protected/file.txt")
    [[ $status == 200 ]] || { echo "login as $user failed: $status"; cat "$work/error_log"; exit 1; }
    auth="Authorization: Basic $(printf '%s:%s' "$user" "$code" | base64)"
    static=$(run_wrk "http://127.0.0.1:$port/file.txt")
    protected=$(run_wrk -H "$auth" "http://127.0.0.1:$port/protected/file.txt")
    rss=$(ps -o rss= -C apache2 | awk '{s += $1} END {print s}')
    printf '%-10s %14s %14s %8.2f   (httpd RSS total %s KiB)\n' "$n" "$static" "$protected" \
        "$(awk -v p="$protected" -v s="$static" 'BEGIN {print p / s}')" "$rss"
done
