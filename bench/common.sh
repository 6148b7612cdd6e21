# Shared pieces of the wrk benchmarks: a throw-away httpd (mpm_event) on 127.0.0.1 with
# mod_otp, started and stopped by PID. Source it; set BUILD first.
apxs=$(command -v apxs || command -v apxs2)
httpd=$("$apxs" -q SBINDIR)/$("$apxs" -q TARGET)
modules=$("$apxs" -q LIBEXECDIR)
port=${BENCH_PORT:-18080}
base="http://127.0.0.1:$port"
work=$(mktemp -d /tmp/mod_otp-bench.XXXXXX)
chmod 0755 "$work"
cp "$BUILD/mod_otp.so" "$work/"
mkdir -p "$work/htdocs/protected"
printf 'hello\n' > "$work/htdocs/file.txt"
cp "$work/htdocs/file.txt" "$work/htdocs/protected/file.txt"

bench_stop() {
    if [[ -f "$work/httpd.pid" ]]; then
        local pid
        pid=$(cat "$work/httpd.pid")
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        rm -f "$work/httpd.pid"
    fi
}
trap 'bench_stop; rm -rf "$work"' EXIT

# bench_start LOCATION_BLOCK: writes httpd.conf with the given <Location /protected> block
# and starts httpd; waits until it answers.
bench_start() {
    cat > "$work/httpd.conf" <<CONF
ServerRoot "$work"
ServerName 127.0.0.1
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
LoadModule otp_module $work/mod_otp.so
StartServers 2
ThreadsPerChild 32
MaxRequestWorkers 128
DocumentRoot "$work/htdocs"
<Directory "$work/htdocs">
    Require all granted
</Directory>
$1
CONF
    chown -R nobody:nogroup "$work"
    # mod_otp refuses a key file owned by anyone but root or its reader; httpd reads it as root.
    if [[ -f "$work/session.key" ]]; then chown "$(id -u):$(id -g)" "$work/session.key"; fi
    "$httpd" -f "$work/httpd.conf" -k start
    for _ in $(seq 50); do curl -s -o /dev/null "$base/file.txt" && return 0; sleep 0.2; done
    echo "httpd did not start:"; cat "$work/error_log"; exit 1
}

# TOTP users user0 .. user(N-1), secret = 16 fixed bytes + the index.
bench_secret_prefix=31323334353637383930313233343536
bench_users() {
    awk -v n="$1" -v s="$bench_secret_prefix" 'BEGIN { for (i = 0; i < n; i++)
        printf "HOTP/T30\tuser%d\t-\t%s%08x\n", i, s, i }' > "$work/users.oath"
}
bench_user_secret() { printf '%s%08x' "$bench_secret_prefix" "$1"; }

run_wrk() {  # prints requests/s
    wrk -t2 -c32 -d"${duration}s" "$@" | awk '/^Requests\/sec/ {print $2}'
}
