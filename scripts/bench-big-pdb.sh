#!/usr/bin/env bash
# Large PDBs (BENCHMARKS.md, "Large PDBs"; issue 20): a generated Windows module built with
# clang-cl /Z7 and lld-link /DEBUG at each requested size, then, in the same run, per PDB:
#   - crashsift deriving its symbol table (procedures, C13 lines, inline sites, publics), time
#     and peak RSS (`crashsift-bench sym-derive`), next to `llvm-pdbutil dump -publics -symbols
#     -l` of the same file (the issue's yardstick);
#   - lookups of 2,000 pseudo-random addresses compared with llvm-symbolizer's (function, file,
#     line and inline chain; through the oracle wrapper);
# then each PDB through the symbolize stage's path with a symbol cache (`crashsift-bench sym-store`:
# derived and archived, then opened from the archive; lookups answered from the mapped archive are
# compared with llvm-symbolizer too); and finally two workers meeting two big PDBs at once: the
# largest derived twice on two threads without a cache, then two copies of it through the symbol
# cache as two threads and as two processes (`scripts/run-together.py`: each peak and their sum).
# Sizes are FUNCTIONS:MODULES:WEIGHT (scripts/gen-big-pdb.py); about 1.1 KB of PDB per function
# at weight 0. The PDBs are kept in $BENCH_WORK (default /tmp/crashsift-big-pdb) for later runs.
# Usage: scripts/bench-big-pdb.sh [SIZE...]   default: 38000:400:0 (≈ 40 MB) 380000:4000:0 (≈ 400 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(38000:400:0 380000:4000:0)
oracles=${CRASHSIFT_ORACLES:-../shared/oracles}
export PATH="/opt/swift/usr/bin:$PATH"
if [ -z "${BENCH_BIN:-}" ]; then
  swift build -c release --product crashsift-bench >/dev/null
  BENCH_BIN=$(swift build -c release --show-bin-path)/crashsift-bench
fi
work=${BENCH_WORK:-/tmp/crashsift-big-pdb}
mkdir -p "$work"
pdbutil=$(command -v llvm-pdbutil-14 || command -v llvm-pdbutil)
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u '+%F %H:%M') UTC; commit $(git rev-parse --short HEAD)"

build() { # FUNCTIONS MODULES WEIGHT DIR
  local dir=$4
  [ -f "$dir/big.pdb" ] && return
  rm -rf "$dir"
  python3 scripts/gen-big-pdb.py "$dir/src" "$1" "$2" "$3"
  # /Od keeps compile time linear; __forceinline still inlines, so inline sites are recorded.
  find "$dir/src" -name '*.cpp' | xargs -P "$(nproc)" -I{} sh -c \
    'clang-cl /nologo /c /Z7 /Od /GS- /Gy --target=x86_64-pc-windows-msvc "$1" /Fo"${1%.cpp}.obj"' _ {}
  # NOREF/NOICF: every function stays, each at its own address.
  lld-link /nologo /DLL /NOENTRY /NODEFAULTLIB /DEBUG:FULL /OPT:NOREF /OPT:NOICF /MACHINE:X64 \
    /OUT:"$dir/big.dll" /PDB:"$dir/big.pdb" "$dir"/src/*.obj
  rm -f "$dir"/src/*.obj
}

timed() { # OUT command… → "seconds peak_MB" in OUT
  local out=$1
  shift
  /usr/bin/time -f "%e %M" -o "$out.time" "$@" >"$out" 2>"$out.err" || { cat "$out.err" >&2; return 1; }
  read -r seconds kib <"$out.time"
  echo "$seconds $((kib / 1024))"
}

echo
echo "| PDB | functions (modules) | size | crashsift derive | llvm-pdbutil dump -publics -symbols -l | time ratio | lookups equal to llvm-symbolizer |"
echo "|---|---|---|---|---|---|---|"
pdbs=()
for size in "${sizes[@]}"; do
  IFS=: read -r functions modules weight <<<"$size"
  dir="$work/f$functions-m$modules-w$weight"
  build "$functions" "$modules" "$weight" "$dir"
  pdbs+=("$dir/big.pdb")
  read -r ours ours_mb <<<"$(timed "$dir/derive.json" "$BENCH_BIN" sym-derive "$dir/big.pdb")"
  read -r theirs theirs_mb <<<"$(timed "$dir/pdbutil.txt" "$pdbutil" dump -publics -symbols -l "$dir/big.pdb")"
  # 2,000 addresses inside the functions' span.
  span=$("$BENCH_BIN" sym-lookup "$dir/big.pdb" 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["span"])')
  python3 -c "
import random; random.seed(11)
for _ in range(2000): print(hex(0x1000 + random.randrange(max(1, $span - 0x1000))))" >"$dir/rvas"
  "$BENCH_BIN" sym-resolve "$dir/big.pdb" <"$dir/rvas" >"$dir/ours"
  bash "$oracles/symbolize.sh" --no-check "$dir/big.dll" <"$dir/rvas" >"$dir/theirs" 2>/dev/null || true
  read -r same total answered <<<"$(python3 scripts/compare-symbolizer.py "$dir/ours" "$dir/theirs")"
  # The same addresses answered from the mapped table archive, as the symbolize stage answers.
  rm -rf "$dir/resolve-cache"
  "$BENCH_BIN" sym-resolve "$dir/big.pdb" "$dir/resolve-cache" <"$dir/rvas" >"$dir/ours-mapped"
  read -r same_mapped _ _ <<<"$(python3 scripts/compare-symbolizer.py "$dir/ours-mapped" "$dir/theirs")"
  rm -rf "$dir/resolve-cache"
  same="$same of $total (from the mapped archive: $same_mapped)"
  [ "$answered" = "$total" ] || same="llvm-symbolizer answered $answered of $total"
  echo "| \`$(basename "$dir")\` | $functions ($modules) | $(($(stat -c %s "$dir/big.pdb") / 1048576)) MB | $ours s, $ours_mb MB | $theirs s, $theirs_mb MB | $(python3 -c "print(f'{$ours / $theirs:.2f}')") | $same |"
done
echo
echo "| PDB | derived and archived (symbol cache, first run) | read back from the archive (later runs) |"
echo "|---|---|---|"
for pdb in "${pdbs[@]}"; do
  cache="$work/cache-$(basename "$(dirname "$pdb")")"
  rm -rf "$cache"
  read -r stored stored_mb <<<"$(timed "$cache.store.json" "$BENCH_BIN" sym-store "$cache" "$pdb")"
  read -r loaded loaded_mb <<<"$(timed "$cache.load.json" "$BENCH_BIN" sym-store "$cache" "$pdb")"
  grep -q '"from_archive": true' "$cache.load.json" || { echo "no archive was read back for $pdb" >&2; exit 1; }
  echo "| \`$(basename "$(dirname "$pdb")")\` | $stored s, $stored_mb MB | $loaded s, $loaded_mb MB |"
  rm -rf "$cache"
done
n=${#pdbs[@]}
read -r both both_mb <<<"$(timed "$work/both.json" "$BENCH_BIN" sym-derive "${pdbs[n - 1]}" "${pdbs[n - 1]}")"
echo
echo "The largest derived twice at once, two threads, no symbol cache: $both s, $both_mb MB peak."
# Two workers meeting two different big PDBs (the largest under a second path, a hard link: its
# own archive, its own derivation) through the symbol cache: as two threads of one process, then
# as two processes (isolated workers).
largest=${pdbs[n - 1]}
twin="$work/twin/big.pdb"
mkdir -p "$work/twin"
[ -f "$twin" ] || ln "$largest" "$twin" 2>/dev/null || cp "$largest" "$twin"
rm -rf "$work/cache-pair"
read -r pair pair_mb <<<"$(timed "$work/pair.json" "$BENCH_BIN" sym-store "$work/cache-pair" "$largest" "$twin")"
echo "Two big PDBs at once through the symbol cache, two threads of one process: $pair s, $pair_mb MB peak."
rm -rf "$work/cache-pair"
echo "Two big PDBs at once through the symbol cache, two processes: $(python3 scripts/run-together.py \
  "$BENCH_BIN sym-store $work/cache-pair $largest" "$BENCH_BIN sym-store $work/cache-pair $twin")"
rm -rf "$work/cache-pair"
# The pipeline itself: 20 minidumps, half needing the largest PDB and half a copy of it under
# another debug id (`crashsift-bench pdb-retag`), interleaved, through `crashsift run --jobs 2`
# (two worker processes) with a fresh symbol cache: the peak of the whole process tree's RSS.
if [ -z "${CRASHSIFT_BIN:-}" ]; then
  swift build -c release --product crashsift >/dev/null
  CRASHSIFT_BIN=$(swift build -c release --show-bin-path)/crashsift
fi
night="$work/night"
rm -rf "$night"
mkdir -p "$night/nights/n1" "$night/b" "$night/dumps-a" "$night/dumps-b"
"$BENCH_BIN" pdb-retag "$largest" "$night/b/big.pdb" 5EED0001 >/dev/null
for side in a b; do
  pdb=$largest
  [ "$side" = b ] && pdb="$night/b/big.pdb"
  id=$("$BENCH_BIN" pdb-minidumps "$pdb" "$night/dumps-$side" 10)
  mkdir -p "$night/store/big.pdb/$id"
  ln "$pdb" "$night/store/big.pdb/$id/big.pdb" 2>/dev/null || cp "$pdb" "$night/store/big.pdb/$id/big.pdb"
  for i in $(seq 0 9); do mv "$night/dumps-$side/big.pdb-$i.dmp" "$night/nights/n1/d-$(printf %03d "$i")-$side.dmp"; done
done
cat >"$night/manifest.json" <<'JSON'
{"version": 1, "output": "out", "symbol_path": ["srv*store"], "batches": [{"id": "n1", "date": "2026-12-01", "archives": [{"path": "nights/n1/*.dmp"}]}]}
JSON
echo "The pipeline, 20 dumps needing two 421 MB PDBs, two worker processes: $(cd "$night" && XDG_CACHE_HOME="$night/cache" \
  python3 "$repo/scripts/run-together.py" "$CRASHSIFT_BIN run --manifest manifest.json --workspace ws --jobs 2 --quiet --no-report")"
rm -rf "$night"
