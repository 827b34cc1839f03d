#!/bin/bash
# Compares `cpyviz dump tokens` with `python3.V -m tokenize -e` for .py files.
# usage: scripts/check-tokens.sh [-v VERSIONS] [-n MAX] DIR_OR_FILE...
# Prints each mismatching file and, per version, the match count.
# IGNORE_WARNINGS=1 drops the reference's SyntaxWarning lines (cpyviz's dump does not print
# them; see tokens::tokenize_with_warnings).
set -u
versions="3.14 3.15"
max=1000000
while getopts "v:n:" o; do
  case $o in v) versions=$OPTARG ;; n) max=$OPTARG ;; *) exit 2 ;; esac
done
shift $((OPTIND - 1))
bin=${CPYVIZ:-${CARGO_TARGET_DIR:-/work/target}/debug/cpyviz}  # set CPYVIZ when the target dir is shared
refpy=${REFPY:-/work/shared/refpy/python}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
files=$(find "$@" -name '*.py' -type f | sort | head -n "$max")
for v in $versions; do
  ok=0; total=0
  for f in $files; do
    total=$((total + 1))
    "$refpy" "$v" -m tokenize -e "$f" >"$tmp/want" 2>"$tmp/want.err"
    if [ -n "${IGNORE_WARNINGS:-}" ]; then
      grep -v '^<string>:[0-9]*: SyntaxWarning: ' "$tmp/want.err" >"$tmp/want2"
      mv "$tmp/want2" "$tmp/want.err"
    fi
    "$bin" dump tokens "$f" --python-version "$v" >"$tmp/got" 2>"$tmp/got.err"
    # stdout, then stderr (tokenize writes its warnings before its output, cpyviz after)
    cat "$tmp/want.err" >>"$tmp/want"
    cat "$tmp/got.err" >>"$tmp/got"
    if cmp -s "$tmp/want" "$tmp/got"; then
      ok=$((ok + 1))
    else
      echo "MISMATCH $v $f"
      diff "$tmp/want" "$tmp/got" | head -n "${DIFFLINES:-6}"
    fi
  done
  echo "== $v: $ok/$total match"
done
