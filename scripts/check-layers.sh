#!/usr/bin/env bash
# Checks that every #include "folder/..." in lib/ names a folder that lib/README.md's table
# allows for the including folder, and that lib/ includes no httpd or APR header.
# Usage: scripts/check-layers.sh [ROOT]   Prints every violation; exits 1 when there is one.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
readme="$root/lib/README.md"

declare -A allowed
while IFS= read -r line; do
    # | `login/` | owns ... | util, crypto, otp, store |
    [[ $line =~ ^\|\ \`([a-z_]+)/\`\ \|.*\|\ ([^|]*)\ \|$ ]] || continue
    folder=${BASH_REMATCH[1]}
    deps=${BASH_REMATCH[2]//,/ }
    [[ $deps == "(none)" ]] && deps=""
    allowed[$folder]="$folder $deps"
done <"$readme"
[[ ${#allowed[@]} -gt 0 ]] || { echo "layers: no table found in $readme" >&2; exit 1; }

violations=0
checked=0
while IFS= read -r file; do
    rel=${file#"$root/lib/"}
    folder=${rel%%/*}
    if [[ $rel != */* || -z ${allowed[$folder]+x} ]]; then
        echo "layers: $rel is in no folder of lib/README.md's table"
        violations=$((violations + 1))
        continue
    fi
    while IFS= read -r hit; do
        lineno=${hit%%:*}
        include=${hit#*:}
        checked=$((checked + 1))
        if [[ $include =~ \#include\ *[\<\"](httpd|http_|ap_|apr_|apu|mod_|util_)[a-z_]*\.h ]]; then
            echo "layers: lib/$rel:$lineno includes an httpd/APR header: $include"
            violations=$((violations + 1))
        elif [[ $include =~ \#include\ *\"([a-z_]+)/ ]]; then
            target=${BASH_REMATCH[1]}
            if [[ " ${allowed[$folder]} " != *" $target "* ]]; then
                echo "layers: lib/$rel:$lineno: $folder/ may not include $target/ ($include)"
                violations=$((violations + 1))
            fi
        elif [[ $include =~ \#include\ *\" ]]; then
            echo "layers: lib/$rel:$lineno: write includes from lib/ (folder/file.h): $include"
            violations=$((violations + 1))
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$file" || true)
done < <(find "$root/lib" -type f \( -name '*.h' -o -name '*.cpp' \) | sort)

echo "layers: $checked includes checked, $violations violations"
[[ $violations -eq 0 ]]
