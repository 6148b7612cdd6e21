#!/usr/bin/env bash
# Installs the Debian packages mod_otp needs to build, test, benchmark and demo, but only the
# ones that are missing, so `make demo` / `make test` work on a fresh Debian 12 machine.
# Usage: scripts/ensure-deps.sh [build|demo|test|bench|fuzz|all]   (default: all)
set -euo pipefail

build_pkgs=(build-essential cmake pkg-config apache2 apache2-dev libjansson-dev libssl-dev
            libhiredis-dev)
test_pkgs=(libcmocka-dev liboath-dev oathtool libapache2-mod-perl2 libwww-perl
           liblwp-protocol-https-perl openssl jq chromium memcached redis-server redis-sentinel curl)
# The browser test also needs node and npm. Debian's only if there are none on PATH: a NodeSource
# nodejs (which bundles npm) conflicts with Debian's npm package.
command -v node >/dev/null 2>&1 || test_pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || test_pkgs+=(npm)
bench_pkgs=(liboath-dev wrk curl procps redis-server)
# libFuzzer: clang and its runtimes (scripts/run-fuzz.sh builds build-fuzz/ with clang).
fuzz_pkgs=(clang libclang-rt-14-dev)

case "${1:-all}" in
    build) wanted=("${build_pkgs[@]}") ;;
    demo) wanted=("${build_pkgs[@]}" oathtool) ;;
    test) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
    bench) wanted=("${build_pkgs[@]}" "${bench_pkgs[@]}" oathtool) ;;
    fuzz) wanted=("${build_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
    all) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}" "${bench_pkgs[@]}" "${fuzz_pkgs[@]}") ;;
    *) echo "usage: $0 [build|demo|test|bench|fuzz|all]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${wanted[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Installing missing packages: ${missing[*]}"
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
