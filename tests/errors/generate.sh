#!/usr/bin/env bash
# Regenerates the machine-made error inputs in tests/errors/ (too large to write by hand):
#   20_nested_parens_250.py : 250 nested parentheses (CPython's limit is 200)
#   21_nested_if_120.py     : 120 nested indented `if` blocks (CPython's limit is 100 levels)
set -euo pipefail
cd "$(dirname "$0")"
{
    printf 'x = '
    for _ in $(seq 250); do printf '('; done
    printf '1'
    for _ in $(seq 250); do printf ')'; done
    printf '\nprint(x)\n'
} > 20_nested_parens_250.py
{
    indent=''
    for i in $(seq 120); do
        printf '%sif %d:\n' "$indent" "$i"
        indent="$indent    "
    done
    printf '%sprint("deep")\n' "$indent"
} > 21_nested_if_120.py
