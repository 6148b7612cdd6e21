#!/usr/bin/env bash
# The README's test command ends here: unit tests (ctest/cmocka), then the end-to-end suite
# under mpm_event and mpm_prefork. Prints one summary line and fails if anything failed or
# if no test ran.
# Usage: scripts/run-all-tests.sh [BUILD_DIR [MPM ...]]   (MPMs: see scripts/run-e2e-tests.sh)
# A sanitizer build (make test SANITIZE=1) is run the same way: ctest's tests carry their
# ASan/UBSan options (cmake/sanitize.cmake), run-e2e-tests.sh preloads libasan into httpd.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
mpms=("$@")

kind=""
[[ -f "$build/sanitizer.env" ]] && kind=" [ASan + UBSan]"

echo "== unit tests (cmocka, ctest)$kind =="
unit_log=$(mktemp)
(cd "$build" && ctest --output-on-failure) 2>&1 | tee "$unit_log"
unit_status=${PIPESTATUS[0]}
# ctest: "100% tests passed, 0 tests failed out of 7"
unit_total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$unit_log" | tail -1)
unit_failed=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$unit_log" | tail -1)
unit_total=${unit_total:-0}
unit_failed=${unit_failed:-0}
if [[ $unit_status -ne 0 && $unit_failed -eq 0 ]] || [[ $unit_total -eq 0 ]]; then unit_failed=$((unit_failed + 1)); fi
# ctest also runs checks that are not cmocka programs: at least one test_* program must have
# run (cmocka missing at configure time gives none).
if ! grep -Eq '^ *[0-9]+/[0-9]+ Test +#[0-9]+: test_' "$unit_log"; then
    echo "unit tests: no cmocka test program ran (was cmocka found when $build was configured?)" >&2
    unit_failed=$((unit_failed + 1))
fi
rm -f "$unit_log"

echo "== end-to-end tests (Apache::Test, real httpd)$kind =="
e2e_log=$(mktemp)
"$root/scripts/run-e2e-tests.sh" "$build" "${mpms[@]}" 2>&1 | tee "$e2e_log"
e2e_status=${PIPESTATUS[0]}
e2e_line=$(grep '^e2e: ' "$e2e_log" | tail -1)
e2e_passed=$(sed -n 's/^e2e: \([0-9]*\) passed.*/\1/p' <<<"$e2e_line")
e2e_failed=$(sed -n 's/.* \([0-9]*\) failed$/\1/p' <<<"$e2e_line")
e2e_passed=${e2e_passed:-0}
e2e_failed=${e2e_failed:-0}
if [[ $e2e_status -ne 0 && $e2e_failed -eq 0 ]] || [[ $e2e_passed -eq 0 ]]; then e2e_failed=$((e2e_failed + 1)); fi
rm -f "$e2e_log"

unit_passed=$((unit_total - unit_failed)); ((unit_passed < 0)) && unit_passed=0
echo
echo "unit test programs$kind: $unit_passed passed, $unit_failed failed"
echo "end-to-end tests$kind: $e2e_passed passed, $e2e_failed failed"
echo "all: $((unit_passed + e2e_passed)) passed, $((unit_failed + e2e_failed)) failed"
[[ $((unit_failed + e2e_failed)) -eq 0 ]]
