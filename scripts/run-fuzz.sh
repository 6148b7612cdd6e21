#!/usr/bin/env bash
# Builds the libFuzzer targets of t/fuzz/ (clang, AddressSanitizer + UBSan) into build-fuzz/
# and runs each one for the given number of seconds, two at a time (t/fuzz/README.md).
#
#   scripts/run-fuzz.sh [seconds-per-target]      default 600 (make fuzz); make fuzz-ci: 20
#
# Each target starts from its seed corpus t/fuzz/corpus/<target>/ and the inputs that once made
# it fail, t/fuzz/crashes/<target>/ (both read only), plus a scratch corpus
# build-fuzz/fuzz-corpus/<target>/ that receives the new inputs and is kept between runs;
# crash inputs go to build-fuzz/fuzz-artifacts/<target>/. Nothing is written into the source
# tree. Prints one line per target and ends with "fuzz: N passed, N failed"; exits
# non-zero if any target crashed, leaked, hung, ran out of memory or did not run.
#
# Environment: FUZZ_BUILD_DIR (default <repo>/build-fuzz), FUZZ_JOBS (targets at once and
# build jobs, default 2), FUZZ_TARGETS (space-separated subset), FUZZ_ARGS (extra libFuzzer
# flags, e.g. "-max_len=16384").
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-600}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-2}
if ! [[ $seconds =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "usage: $0 [seconds-per-target]" >&2
    exit 2
fi

started=$SECONDS
targets=()
for source in "$root"/t/fuzz/fuzz_*.cpp; do
    name=$(basename "$source" .cpp)
    if [[ -n ${FUZZ_TARGETS:-} && " $FUZZ_TARGETS " != *" $name "* ]]; then continue; fi
    targets+=("$name")
done
if ((${#targets[@]} == 0)); then
    echo "fuzz: no targets (FUZZ_TARGETS=${FUZZ_TARGETS:-})"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
fi

# Ends what this script started (the build, the runners) on SIGINT/SIGTERM. Long commands run
# in the background and are waited for, so that the trap runs at once.
declare -A pid_of=()
build_pid=
passed=0
failed=0
on_interrupt() {
    # A runner is a subshell waiting for `timeout`, which passes the signal on to the target;
    # the build is cmake waiting for ninja, which stops its compilers.
    for pid in $build_pid "${pid_of[@]}"; do
        pkill -TERM -P "$pid" 2>/dev/null
        kill "$pid" 2>/dev/null
    done
    echo "fuzz: interrupted"
    echo "fuzz: $passed passed, $((${#targets[@]} - passed)) failed"
    exit 130
}
trap on_interrupt INT TERM

# ---- build ------------------------------------------------------------------------------
build_failed() {
    echo "fuzz: $1"
    echo "fuzz: 0 passed, ${#targets[@]} failed"
    exit 1
}
command -v clang++ >/dev/null || build_failed "clang++ not found (apt-get install clang)"
echo "== building fuzz targets in $build =="
if [[ ! -f $build/CMakeCache.txt ]]; then
    generator=()
    command -v ninja >/dev/null && generator=(-G Ninja)
    mkdir -p "$build"
    cmake -S "$root" -B "$build" "${generator[@]}" \
        -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOTP_FUZZ=ON -DOTP_BUILD_MODULE=OFF \
        >"$build/fuzz-configure.log" 2>&1 &
    build_pid=$!
    if ! wait "$build_pid"; then
        cat "$build/fuzz-configure.log"
        rm -f "$build/CMakeCache.txt"
        build_failed "cmake configure failed"
    fi
fi
cmake --build "$build" --target fuzz-targets -j"$jobs" &
build_pid=$!
wait "$build_pid" || build_failed "build failed"
build_pid=
echo "fuzz: built in $((SECONDS - started)) s"

# ---- run --------------------------------------------------------------------------------
symbolizer=$(command -v llvm-symbolizer || true)
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:symbolize=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
[[ -n $symbolizer ]] && export ASAN_SYMBOLIZER_PATH=$symbolizer
logs=$build/fuzz-logs
mkdir -p "$logs"

run_target() {
    local t=$1
    local corpus=$build/fuzz-corpus/$t seeds=$root/t/fuzz/corpus/$t
    local artifacts=$build/fuzz-artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    local dirs=("$corpus")
    [[ -d $seeds ]] && dirs+=("$seeds")
    # Inputs that once failed are replayed first thing (t/fuzz/crashes/README.md).
    [[ -d $root/t/fuzz/crashes/$t ]] && dirs+=("$root/t/fuzz/crashes/$t")
    local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                -artifact_prefix="$artifacts/")
    [[ -f $root/t/fuzz/dict/$t.dict ]] && args+=(-dict="$root/t/fuzz/dict/$t.dict")
    # A single input may take at most -timeout; the wrapper only catches a stuck process.
    # shellcheck disable=SC2086
    timeout -k 10 $((seconds + 120)) "$build/$t" "${args[@]}" ${FUZZ_ARGS:-} "${dirs[@]}" \
        >"$logs/$t.log" 2>&1
    echo $? >"$logs/$t.rc"
}

report() {
    local t=$1 rc log=$logs/$1.log
    rc=$(cat "$logs/$t.rc" 2>/dev/null || echo 1)
    local runs cov
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    if [[ $rc == 0 && -n $runs ]] && grep -q '^Done [0-9]* runs' "$log"; then
        printf 'PASS %-24s %9s runs, cov %s, corpus %s inputs\n' "$t" "$runs" "${cov:-?}" \
            "$(find "$build/fuzz-corpus/$t" -type f | wc -l)"
        return 0
    fi
    local kind="exit status $rc"
    if grep -q 'FUZZ PROPERTY VIOLATED' "$log"; then kind="property violated"
    elif grep -q 'ERROR: LeakSanitizer' "$log"; then kind="memory leak"
    elif grep -q 'ERROR: AddressSanitizer' "$log"; then kind="AddressSanitizer: $(grep -o 'AddressSanitizer: [a-z-]*' "$log" | head -1 | cut -d' ' -f2)"
    elif grep -q 'runtime error:' "$log"; then kind="undefined behaviour"
    elif grep -q 'ERROR: libFuzzer: timeout' "$log"; then kind="timeout (an input ran > 10 s)"
    elif grep -q 'out-of-memory' "$log"; then kind="out of memory"
    elif grep -q 'deadly signal' "$log"; then kind="crash (signal)"
    elif [[ $rc == 124 || $rc == 137 ]]; then kind="hung (killed after $((seconds + 120)) s)"
    elif [[ $rc == 0 ]]; then kind="did not run"
    fi
    local artifact
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    echo "FAIL $t: $kind"
    [[ -n $artifact ]] && echo "     input: $artifact (replay: $build/$t $artifact)"
    echo "     log:   $log"
    # The message and the top of the stack, for CI logs.
    grep -m1 -A24 -E 'FUZZ PROPERTY VIOLATED|==[0-9]+==ERROR|runtime error:|ERROR: libFuzzer' "$log" |
        sed 's/^/     | /'
    return 1
}

echo "== running ${#targets[@]} targets for $seconds s each, $jobs at a time =="
finish_one() {
    local finished=$1
    if report "$finished"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

wait_for_one() {
    local t
    wait -n "${pid_of[@]}" 2>/dev/null
    for t in "${!pid_of[@]}"; do
        if ! kill -0 "${pid_of[$t]}" 2>/dev/null; then
            wait "${pid_of[$t]}" 2>/dev/null
            unset "pid_of[$t]"
            finish_one "$t"
        fi
    done
}

for t in "${targets[@]}"; do
    while ((${#pid_of[@]} >= jobs)); do wait_for_one; done
    rm -f "$logs/$t.rc"
    run_target "$t" &
    pid_of[$t]=$!
    echo "     $t started"
done
while ((${#pid_of[@]} > 0)); do wait_for_one; done

echo "fuzz: ran in $((SECONDS - started)) s in all (build included)"
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
