#!/usr/bin/env bash
# PDB symbolization benchmark (BENCHMARKS.md): the same RVAS pseudo-random addresses inside each
# image's code resolved to name + file:line by crashsift (release build: read the PDB, build the
# table, look every address up) and by llvm-symbolizer (through the oracle wrapper, which also
# reads the PDB), in the same run. Usage: scripts/bench-pdb.sh [rvas]
set -euo pipefail
cd "$(dirname "$0")/.."
RVAS=${1:-20000}
corpus=${CRASHSIFT_CORPUS:-../shared/corpus}
oracles=${CRASHSIFT_ORACLES:-../shared/oracles}
swift build -c release --product crashsift-bench >/dev/null
bin=$(swift build -c release --show-bin-path)/crashsift-bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| image + PDB | RVAs | crashsift (s) | llvm-symbolizer (s) | speed-up | same frames (function, file:line, inline chain) |"
echo "|---|---|---|---|---|---|"
for pair in breakpad/dump_syms_regtest64.exe:breakpad/dump_syms_regtest64.pdb \
  getsentry-symbolic/crash.exe:getsentry-symbolic/crash.pdb \
  getsentry-symbolic/CrashWithException.exe:getsentry-symbolic/CrashWithException.pdb; do
  image=$corpus/pdb/${pair%%:*}
  pdb=$corpus/pdb/${pair##*:}
  # Addresses across the functions' span, from the table itself.
  span=$("$bin" sym-lookup "$pdb" 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["span"])')
  python3 -c "
import random; random.seed(7)
for _ in range($RVAS): print(hex(0x1000 + random.randrange(max(1, $span - 0x1000))))" >"$tmp/rvas"
  start=$(date +%s.%N)
  "$bin" sym-resolve "$pdb" <"$tmp/rvas" >"$tmp/ours"
  mid=$(date +%s.%N)
  status=0
  bash "$oracles/symbolize.sh" --no-check --pdb "$pdb" "$image" <"$tmp/rvas" >"$tmp/theirs" \
    2>"$tmp/errors" || status=$?
  end=$(date +%s.%N)
  if [ "$status" -ne 0 ]; then
    # llvm-symbolizer 14 and 21 both segfault inside crash.exe's inline data (e.g. RVA 0x24b9).
    echo "| \`$(basename "$pdb")\` | $RVAS | $(python3 -c "print(f'{$mid - $start:.3f}')") | failed (exit $status after $(wc -l <"$tmp/theirs") answers) | — | — |"
    continue
  fi
  read -r same total answered <<<"$(python3 scripts/compare-symbolizer.py "$tmp/ours" "$tmp/theirs")"
  python3 -c "
a, b = $mid - $start, $end - $mid
print(f'| \`$(basename "$pdb")\` | $RVAS | {a:.3f} | {b:.3f} | {b / a:.1f}x | {$same / $answered:.1%} |')"
done

# Table derivation: read every corpus PDB into a symbol table (procedures, lines, publics), next to
# llvm-pdbutil dumping the same records (-publics -symbols -l) on the same file.
pdbutil=$(command -v llvm-pdbutil-14 || command -v llvm-pdbutil || true)
echo
echo "| PDB | size (KB) | crashsift process (ms) | of which table (ms) | llvm-pdbutil dump -publics -symbols -l (ms) | speed-up (process) |"
echo "|---|---|---|---|---|---|"
find "$corpus/pdb" "$corpus/kernel" -type f -name '*.pdb' | sort | while read -r pdb; do
  start=$(date +%s%N)
  "$bin" sym-lookup "$pdb" 1 >"$tmp/load" 2>/dev/null || echo '{"load_ms": "failed"}' >"$tmp/load"
  mid=$(date +%s%N)
  load=$(python3 -c 'import json,sys; v = json.load(open(sys.argv[1]))["load_ms"]; print(v if isinstance(v, str) else "%.1f" % v)' "$tmp/load")
  if [ -n "$pdbutil" ]; then "$pdbutil" dump -publics -symbols -l "$pdb" >/dev/null 2>&1 || true; fi
  end=$(date +%s%N)
  python3 -c "
ours, theirs = ($mid - $start) / 1e6, ($end - $mid) / 1e6
print(f'| \`${pdb#"$corpus"/}\` | $(($(stat -c %s "$pdb") / 1024)) | {ours:.1f} | $load | {theirs:.1f} | {theirs / ours:.1f}x |')"
done
