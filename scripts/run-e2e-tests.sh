#!/usr/bin/env bash
# Runs the Apache::Test end-to-end suite (t/) against a real httpd on 127.0.0.1, once per MPM.
# Usage: scripts/run-e2e-tests.sh BUILD_DIR [MPM ...]     (MPMs default to: event prefork)
# Prints "e2e[<mpm>]: N passed, N failed" per MPM and exits non-zero on any failure, or when
# no test ran at all.
# A sanitizer build (BUILD_DIR/sanitizer.env, written by cmake/sanitize.cmake) runs httpd with
# gcc's libasan preloaded; every ASan/UBSan report of httpd counts as a failure.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [MPM ...]}" && pwd)
shift
mpms=("$@")
[[ ${#mpms[@]} -gt 0 ]] || mpms=(event prefork)

module="$build/mod_otp.so"
[[ -f "$module" ]] || { echo "e2e: $module not built" >&2; exit 1; }
apxs=$(command -v apxs || command -v apxs2) || { echo "e2e: apxs not found" >&2; exit 1; }
modules_dir=$("$apxs" -q LIBEXECDIR)
test_user=${APACHE_TEST_USER:-nobody}
test_group=${APACHE_TEST_GROUP:-nogroup}

# The real-browser test (t/login/50_browser.t) drives chromium with playwright-core from npm,
# pinned by t/browser/package-lock.json. Installed before staging, so a staged copy has it.
if [[ ! -d "$root/t/browser/node_modules/playwright-core" ]]; then
    echo "e2e: installing t/browser's npm packages (npm ci)"
    (cd "$root/t/browser" && npm ci --no-audit --no-fund) ||
        echo "e2e: npm ci in t/browser failed; the browser test will fail" >&2
fi

# httpd's children run as $test_user: everything they read must be reachable by that user.
# A checkout below a private directory is not, so the suite then runs from a staged copy.
workdir="$root"
# E2E_STAGE=1 always stages, so several runs can share one checkout.
if [[ -n "${E2E_STAGE:-}" ]] ||
   { [[ $(id -u) -eq 0 ]] && ! runuser -u "$test_user" -- test -r "$root/t/htdocs/secret.txt"; }; then
    workdir=$(mktemp -d /tmp/mod_otp-e2e.XXXXXX)
    trap 'rm -rf "$workdir"' EXIT
    chmod 0755 "$workdir"
    cp -a "$root/t" "$workdir/t"
    # The example pipe programs that t/pipes/01_examples.t runs as they are shipped.
    mkdir -p "$workdir/conf" && cp -a "$root/conf/pipes" "$workdir/conf/pipes"
    rm -rf "$workdir/t/var" "$workdir/t/logs" "$workdir/t/results"
    echo "e2e: running from a staged copy in $workdir"
fi
module_copy="$workdir/t/var-module/mod_otp.so"
mkdir -p "$(dirname "$module_copy")" "$root/t/results"
cp "$module" "$module_copy"
export OTP_MODULE_PATH="$module_copy"

# Sanitizer build: mod_otp.so needs the ASan runtime first in httpd's library list. Only httpd
# gets it (not perl, LWP, chromium): Apache::Test, and the tests that start servers of their
# own (Apache::Test::vars('httpd')), run this wrapper as "httpd"; the children inherit the
# environment and the mapped runtime (checked below). Where the reports go:
# - ASan: files $san_dir/asan.<pid> (log_path), one per process.
# - UBSan: stderr, that is the server's ErrorLog (gcc's libubsan ignores log_path when libasan
#   is loaded). A server of a test's own logs into a temporary directory that is deleted with
#   it, so the wrapper creates that ErrorLog and keeps a hard link to it in $san_dir.
# CoreDumpDirectory keeps the children dumpable after they switch to the test user; otherwise
# they cannot read /proc/self/environ, where UBSan (initialised at its first report, in a
# child) reads UBSAN_OPTIONS, and halt_on_error and print_stacktrace would be lost.
httpd_args=()
sanitize=""
if [[ -f "$build/sanitizer.env" ]]; then
    # shellcheck source=/dev/null
    . "$build/sanitizer.env"
    [[ -f "${OTP_ASAN_RUNTIME:-}" ]] ||
        { echo "e2e: sanitizer build, but no ASan runtime '${OTP_ASAN_RUNTIME:-}'" >&2; exit 1; }
    sanitize=1
    # Tests that measure capacity with thousands of requests scale down under the sanitizers
    # (they check memory safety here, not capacity; t/store/02_flood.t).
    export OTP_E2E_SANITIZER=1
    # Under the sanitizers every test runs except those whose time goes into sleeping through
    # bans, idle timeouts and code steps, or into a browser: they run in the ordinary runs of
    # both MPMs, and their module code paths (limits, lockouts, replays)
    # are exercised under the sanitizers by the other tests too. Keeps CI within its budget.
    sanitizer_skip=" t/basic/10_limits.t t/basic/11_credentials.t t/login/05_replay_and_cookies.t t/login/50_browser.t t/api/07_races.t t/twoway/50_browser.t "
    sanitizer_tests=$(cd "$root" && for f in t/*/*.t; do
        [[ $sanitizer_skip == *" $f "* ]] || printf '%s ' "$f"; done)
    san_dir="$workdir/t/var-module/sanitizer"
    core_dir="$workdir/t/var-module/cores"
    mkdir -p "$core_dir" && chmod 1777 "$core_dir"
    wrapper="$workdir/t/var-module/httpd-sanitized"
    real_httpd=$("$apxs" -q SBINDIR)/$("$apxs" -q TARGET)
    cat > "$wrapper" <<WRAPPER
#!/bin/sh
# Written by scripts/run-e2e-tests.sh: httpd with the ASan runtime preloaded.
LD_PRELOAD='$OTP_ASAN_RUNTIME'\${LD_PRELOAD:+:\$LD_PRELOAD}
ASAN_OPTIONS='$OTP_HTTPD_ASAN_OPTIONS:log_path=$san_dir/asan'
UBSAN_OPTIONS='$OTP_UBSAN_OPTIONS'
export LD_PRELOAD ASAN_OPTIONS UBSAN_OPTIONS
conf=""
prev=""
for arg in "\$@"; do [ "\$prev" = "-f" ] && conf=\$arg; prev=\$arg; done
if [ -n "\$conf" ] && [ -f "\$conf" ] && [ -d '$san_dir' ]; then
    errlog=\$(sed -n 's/^[[:space:]]*ErrorLog[[:space:]]*"\{0,1\}\(\/[^"[:space:]]*\)"\{0,1\}[[:space:]]*\$/\1/p' "\$conf" | tail -n 1)
    if [ -n "\$errlog" ] && [ -d "\$(dirname "\$errlog")" ]; then
        : >>"\$errlog" && ln -f "\$errlog" '$san_dir'/error_log.\$\$ 2>/dev/null
    fi
fi
exec '$real_httpd' -C 'CoreDumpDirectory $core_dir' "\$@"
WRAPPER
    chmod 0755 "$wrapper"
    httpd_args=(-httpd "$wrapper")
    echo "e2e: sanitizer build: httpd runs with LD_PRELOAD=$OTP_ASAN_RUNTIME"
fi
chmod -R a+rX "$workdir/t/var-module"

# The PIDs of the children of process $1 (from /proc: procps may not be installed).
children_of() {
    local stat rest
    for stat in /proc/[0-9]*/stat; do
        read -r rest 2>/dev/null <"$stat" || continue
        rest=${rest##*) }                # after "pid (comm) ": "state ppid ..."
        rest=${rest#* }
        [[ ${rest%% *} == "$1" ]] && { stat=${stat#/proc/}; echo "${stat%/stat}"; }
    done
}

# Until killed (or this script is gone): waits for the server's pid file, then writes to $1 a
# line naming the first child of it with LD_PRELOAD in its environment and libasan mapped.
watch_sanitized_children() {
    local pid child
    while kill -0 $$ 2>/dev/null; do
        pid=$(cat t/logs/httpd.pid 2>/dev/null) || pid=""
        if [[ -n $pid ]]; then
            for child in $(children_of "$pid"); do
                if tr '\0' '\n' <"/proc/$child/environ" 2>/dev/null |
                       grep -qF "LD_PRELOAD=$OTP_ASAN_RUNTIME" &&
                   grep -qF "$OTP_ASAN_RUNTIME" "/proc/$child/maps" 2>/dev/null; then
                    echo "child $child of httpd $pid (user $(stat -c %U "/proc/$child"))" >"$1"
                    return 0
                fi
            done
        fi
        sleep 0.5
    done
}

# Counts (prints to stdout) the sanitizer reports of one MPM run, and shows them on stderr.
sanitizer_reports() {
    local mpm=$1 log=$2
    local pattern='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:'
    pattern+='|ASan runtime does not come first'
    local count=0 n f seen_inodes=" "
    for f in "$san_dir"/* t/logs/error_log "$log"; do
        [[ -f $f ]] || continue
        # t/logs/error_log is normally one of the hard links in $san_dir already.
        [[ $seen_inodes == *" $(stat -c %i "$f") "* ]] && continue
        seen_inodes+="$(stat -c %i "$f") "
        n=$(grep -Ec "$pattern" "$f")
        ((n > 0)) || continue
        count=$((count + n))
        {
            echo "e2e[$mpm]: sanitizer report in $f:"
            if [[ $f == "$san_dir"/asan.* ]]; then head -n 200 "$f"
            else grep -E -B2 -A40 "$pattern" "$f" | head -n 200; fi
        } >&2
    done
    echo "$count"
}

# The modules the tests need, besides mod_otp; Apache::Test inherits only LoadModule lines.
base_modules=(authn_core authz_core authz_user authz_host auth_basic authn_file
              socache_shmcb mime dir alias env setenvif headers remoteip unique_id)

total_failed=0
total_passed=0
for mpm in "${mpms[@]}"; do
    cd "$workdir" || exit 1
    rm -rf t/var t/logs
    mkdir -p t/var t/logs
    perl -It/lib -MOTPTest -e 'OTPTest::write_users_files(shift)' t/var ||
        { echo "e2e: cannot prepare t/var" >&2; exit 1; }
    inherit="t/var/inherit-$mpm.conf"
    {
        echo "LoadModule mpm_${mpm}_module $modules_dir/mod_mpm_${mpm}.so"
        for m in "${base_modules[@]}"; do echo "LoadModule ${m}_module $modules_dir/mod_${m}.so"; done
    } > "$inherit"
    [[ $(id -u) -eq 0 ]] && chown -R "$test_user:$test_group" t/var

    # In the working copy (a staged copy has its own, so parallel runs do not mix their
    # counts), then copied to $root/t/results.
    mkdir -p t/results
    log="$workdir/t/results/e2e-$mpm.log"
    t/TEST -clean >/dev/null 2>&1
    if [[ -n $sanitize ]]; then
        rm -rf "$san_dir" && mkdir -p "$san_dir" && chmod 1777 "$san_dir"
        seen="$san_dir.child-$mpm"
        rm -f "$seen"
        watch_sanitized_children "$seen" &
        watcher=$!
    fi
    OTP_MPM="$mpm" t/TEST -apxs "$apxs" "${httpd_args[@]}" -httpd_conf "$workdir/$inherit" \
        -port select -servername 127.0.0.1 ${E2E_TEST_ARGS:-${sanitizer_tests:-}} 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
    [[ "$log" != "$root/t/results/e2e-$mpm.log" ]] && cp "$log" "$root/t/results/e2e-$mpm.log"
    [[ -f t/logs/error_log ]] && cp t/logs/error_log "$root/t/results/error_log-$mpm"
    # The browser test's screenshots (from a staged copy; in place they are there already).
    if [[ "$workdir" != "$root" && -d t/results/browser ]]; then
        rm -rf "$root/t/results/browser" && cp -a t/results/browser "$root/t/results/browser"
    fi
    t/TEST -stop >/dev/null 2>&1

    # Test::Harness: "Files=4, Tests=37, ..." then "Result: PASS"/"Result: FAIL".
    tests=$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$log" | tail -1)
    failed=$(grep -Eo 'Failed [0-9]+/[0-9]+ subtests' "$log" | awk -F'[ /]' '{s+=$2} END {print s+0}')
    tests=${tests:-0}
    if [[ $status -ne 0 || $tests -eq 0 ]] || ! grep -q '^Result: PASS' "$log"; then
        [[ $failed -eq 0 ]] && failed=1   # the run itself failed (or ran nothing)
    fi
    passed=$((tests - failed)); ((passed < 0)) && passed=0
    if [[ -n $sanitize ]]; then
        kill "$watcher" 2>/dev/null
        wait "$watcher" 2>/dev/null
        reports=$(sanitizer_reports "$mpm" "$log")
        rm -rf "$root/t/results/sanitizer-$mpm"
        cp -a "$san_dir" "$root/t/results/sanitizer-$mpm"
        if [[ -s $seen ]]; then
            echo "e2e[$mpm]: sanitizers: libasan preloaded in $(cat "$seen"); $reports report(s)"
        else
            echo "e2e[$mpm]: sanitizers: no httpd child had LD_PRELOAD and libasan mapped" >&2
            reports=$((reports + 1))
        fi
        # Each report is a failure, even when every test passed.
        failed=$((failed + reports))
    fi
    echo "e2e[$mpm]: $passed passed, $failed failed"
    total_failed=$((total_failed + failed))
    total_passed=$((total_passed + passed))
done
echo "e2e: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
