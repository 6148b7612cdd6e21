#!/usr/bin/env bash
# Runs the Apache::Test end-to-end suite (t/) against a real httpd on 127.0.0.1, once per MPM.
# Usage: scripts/run-e2e-tests.sh BUILD_DIR [MPM ...]     (MPMs default to: event prefork)
# Prints "e2e[<mpm>]: N passed, N failed" per MPM and exits non-zero on any failure, or when
# no test ran at all.
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
    rm -rf "$workdir/t/var" "$workdir/t/logs" "$workdir/t/results"
    echo "e2e: running from a staged copy in $workdir"
fi
module_copy="$workdir/t/var-module/mod_otp.so"
mkdir -p "$(dirname "$module_copy")" "$root/t/results"
cp "$module" "$module_copy"
chmod -R a+rX "$workdir/t/var-module"
export OTP_MODULE_PATH="$module_copy"

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

    log="$root/t/results/e2e-$mpm.log"
    t/TEST -clean >/dev/null 2>&1
    OTP_MPM="$mpm" t/TEST -apxs "$apxs" -httpd_conf "$workdir/$inherit" -port select \
        -servername 127.0.0.1 ${E2E_TEST_ARGS:-} 2>&1 | tee "$log"
    status=${PIPESTATUS[0]}
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
    echo "e2e[$mpm]: $passed passed, $failed failed"
    total_failed=$((total_failed + failed))
    total_passed=$((total_passed + passed))
done
echo "e2e: $total_passed passed, $total_failed failed"
[[ $total_failed -eq 0 ]]
