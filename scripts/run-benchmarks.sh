#!/usr/bin/env bash
# Runs every benchmark of bench/README.md. Not part of `make test`: figures, not verdicts.
# Usage: scripts/run-benchmarks.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
cmake --build "$build" --target totp_bench users_index_bench -j"$(nproc)"
echo "== TOTP validation (bench/totp_bench.cpp) =="
"$build/totp_bench"
echo "== users file index (bench/users_index_bench.cpp) =="
"$build/users_index_bench" || echo "(users_index_bench: a goal was not met)"
echo "== Basic auth end to end (bench/basic_wrk.sh) =="
"$root/bench/basic_wrk.sh" "$build" 10
