#!/usr/bin/env bash
# Compares `cpyviz dump ast FILE --python-version V` with `python3.V -m ast FILE` for every .py
# under DIR (or the given files), for 3.14 and 3.15.
# Usage: scripts/check-ast.sh [-b CPYVIZ] [-n MAX] [-v] DIR|FILE...
# Success: stdout equal. Failure (reference exits non-zero): the tail of the reference's stderr
# from its last `  File "FILE"` line must equal ours.
set -u
BIN=${CPYVIZ:-/work/target/debug/cpyviz}
REF=${REFPY:-/work/shared/refpy/python}
MAX=100000
VERBOSE=0
while getopts "b:n:v" o; do
  case $o in
    b) BIN=$OPTARG ;;
    n) MAX=$OPTARG ;;
    v) VERBOSE=1 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
files=()
for a in "$@"; do
  if [ -d "$a" ]; then
    while IFS= read -r f; do files+=("$f"); done < <(find "$a" -name '*.py' -type f | sort | head -n "$MAX")
  else
    files+=("$a")
  fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for V in 3.14 3.15; do
  ok=0; bad=0; unsup=0
  for f in "${files[@]}"; do
    timeout 60 "$REF" "$V" -P -m ast "$f" >"$tmp/ref.out" 2>"$tmp/ref.err"; rc=$?
    timeout 60 "$BIN" dump ast "$f" --python-version "$V" >"$tmp/our.out" 2>"$tmp/our.err"
    if [ $rc -ne 0 ]; then
      # The tail of the traceback, from the last `  File "FILE"` line.
      awk -v f="  File \"$f\"" 'index($0, f) == 1 { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$tmp/ref.err" >"$tmp/ref.tail"
      cp "$tmp/ref.tail" "$tmp/ref.cmp"; cp "$tmp/our.err" "$tmp/our.cmp"
    else
      cp "$tmp/ref.out" "$tmp/ref.cmp"; cp "$tmp/our.out" "$tmp/our.cmp"
    fi
    if cmp -s "$tmp/ref.cmp" "$tmp/our.cmp"; then
      ok=$((ok + 1))
    elif grep -q "cpyviz: unsupported" "$tmp/our.err"; then
      unsup=$((unsup + 1))
      echo "UNSUPPORTED $V $f: $(tail -1 "$tmp/our.err")"
    else
      bad=$((bad + 1))
      echo "MISMATCH $V $f"
      if [ $VERBOSE = 1 ]; then diff "$tmp/ref.cmp" "$tmp/our.cmp" | head -20; fi
    fi
  done
  echo "== $V: $ok match, $bad mismatch, $unsup unsupported (of ${#files[@]})"
done
