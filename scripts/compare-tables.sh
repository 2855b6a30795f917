#!/usr/bin/env bash
# Compares the symbol tables two builds of crashsift-bench derive: the same pseudo-random
# addresses (30,000: a third over 24 MB, the rest over the first 192 KB, where small modules'
# code lies) resolved by both for every corpus PDB and any further PDB or .sym given; prints
# `same` or `DIFF` per file with the answered and inline-chain counts, exits 1 on any DIFF. Used
# before and after changes to table derivation (BENCHMARKS.md, "Large PDBs").
# Usage: scripts/compare-tables.sh BEFORE_BENCH_BIN AFTER_BENCH_BIN [FILE...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { sed -n 2,7p "$0" >&2; exit 2; }
before=$1 after=$2
shift 2
corpus=${CRASHSIFT_CORPUS:-../shared/corpus}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c '
import random
r = random.Random(7)
for _ in range(10000): print(hex(r.randrange(0, 0x1800000)))
for _ in range(20000): print(hex(r.randrange(0x1000, 0x30000)))' >"$work/rvas"
status=0
while IFS= read -r file; do
  "$before" sym-resolve "$file" <"$work/rvas" >"$work/a" 2>/dev/null || true
  "$after" sym-resolve "$file" <"$work/rvas" >"$work/b" 2>/dev/null || true
  if cmp -s "$work/a" "$work/b"; then
    echo "same $(grep -vc '^??' "$work/a" || true) answered, $(grep -c $'\t.*\t' "$work/a" || true) with inline frames: $file"
  else
    echo "DIFF $file"
    status=1
  fi
done < <(find "$corpus" -type f -iname '*.pdb' | sort; for extra in "$@"; do echo "$extra"; done)
exit $status
