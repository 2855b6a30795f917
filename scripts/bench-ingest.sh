#!/usr/bin/env bash
# Ingest benchmark (BENCHMARKS.md): 10,000 small dump-like files over 20 archives of mixed formats.
# Measures `crashsift ingest` (fresh workspace, then a no-op re-run) next to `bsdtar -xf` of the
# same archives followed by `sha256sum` of the extracted files, in the same run, and prints a
# Markdown table with the ratio. Usage: scripts/bench-ingest.sh [dumps] [archives] [repeats]
set -euo pipefail
cd "$(dirname "$0")/.."
DUMPS=${1:-10000}
ARCHIVES=${2:-20}
REPEATS=${3:-3}
JOBS=${JOBS:-$(nproc)}
work=$(mktemp -d /tmp/crashsift-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

swift build -c release --product crashsift >/dev/null
bin=$(swift build -c release --show-bin-path)/crashsift

# Corpus: minidump-like (MDMP) and kernel-like (PAGEDU64) files, 4-64 KiB, partly compressible.
python3 - "$work/src" "$DUMPS" "$ARCHIVES" <<'PY'
import os, random, sys
root, dumps, archives = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
for i in range(dumps):
    a = i % archives
    d = os.path.join(root, f"a{a:02d}", f"M-{rng.randrange(5000):04d}")
    os.makedirs(d, exist_ok=True)
    size = rng.randrange(4096, 65536)
    sig = b"MDMP\x93\xa7\x00\x00" if i % 5 else b"PAGEDU64"
    body = bytearray(rng.randbytes(size // 2)) + bytes(size - size // 2 - len(sig))
    with open(os.path.join(d, f"crash-{i:05d}.dmp"), "wb") as f:
        f.write(sig + body)
PY
formats=(zip tar.gz 7z tar.xz tar.zst tar.bz2 cab)
mkdir -p "$work/archives"
for dir in "$work"/src/a*; do
  n=$(basename "$dir"); idx=$((10#${n#a}))
  fmt=${formats[$((idx % ${#formats[@]}))]}
  out="$work/archives/$n.$fmt"
  case $fmt in
    zip) (cd "$dir" && bsdtar --format zip -cf "$out" .) ;;
    7z) (cd "$dir" && bsdtar --format 7zip -cf "$out" .) ;;
    cab) (cd "$dir" && find . -type f -printf '%P\n' | sort | xargs gcab -c -z "$out") ;;
    *) (cd "$dir" && bsdtar -acf "$out" .) ;;
  esac
done
input_bytes=$(du -sb "$work/src" | cut -f1)
archive_bytes=$(du -sb "$work/archives" | cut -f1)
cat > "$work/manifest.json" <<JSON
{"version": 1, "batches": [{"id": "bench", "date": "2026-11-26", "archives": ["archives/*"]}]}
JSON

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ingest_times=(); noop_times=(); bsdtar_times=()
for r in $(seq "$REPEATS"); do
  rm -rf "$work/out" "$work/x"
  t0=$(now)
  /usr/bin/time -f %M -o "$work/rss" "$bin" ingest --manifest "$work/manifest.json" --workspace "$work/out" --jobs "$JOBS" --quiet
  t1=$(now)
  "$bin" ingest --manifest "$work/manifest.json" --workspace "$work/out" --jobs "$JOBS" --quiet; t2=$(now)
  mkdir -p "$work/x"
  t3=$(now)
  # Same parallelism as crashsift: one bsdtar per archive, $JOBS at a time, then hashing.
  ls "$work"/archives/* | xargs -P "$JOBS" -I{} sh -c 'd="$1/x/$(basename "$2")"; mkdir -p "$d"; bsdtar -xf "$2" -C "$d"' _ "$work" {}
  find "$work/x" -type f -print0 | xargs -0 -P "$JOBS" -n 500 sha256sum >/dev/null
  t4=$(now)
  ingest_times+=("$(echo "$t1 - $t0" | bc)"); noop_times+=("$(echo "$t2 - $t1" | bc)"); bsdtar_times+=("$(echo "$t4 - $t3" | bc)")
done
rss_kib=$(cat "$work/rss")
stored=$(find "$work/out/dumps" -type f | wc -l)
ingest=$(printf '%s\n' "${ingest_times[@]}" | median)
noop=$(printf '%s\n' "${noop_times[@]}" | median)
bsdtar=$(printf '%s\n' "${bsdtar_times[@]}" | median)
rate() { echo "scale=0; $1 / $2" | bc; }
fmt() { printf '%.2f' "$1"; }
mbps() { echo "scale=1; $1 / 1048576 / $2" | bc; }
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%Y-%m-%d); commit $(git rev-parse --short HEAD 2>/dev/null || echo none); jobs $JOBS; median of $REPEATS"
echo "corpus: $DUMPS files ($stored stored), $(mbps "$input_bytes" 1) MiB expanded, $ARCHIVES archives ($(mbps "$archive_bytes" 1) MiB: ${formats[*]})"
echo
echo "| task | time (s) | dumps/s | MiB/s (expanded) | ratio vs bsdtar+sha256sum |"
echo "|---|---|---|---|---|"
echo "| crashsift ingest (fresh workspace) | $(fmt "$ingest") | $(rate "$DUMPS" "$ingest") | $(mbps "$input_bytes" "$ingest") | $(fmt "$(echo "scale=4; $ingest / $bsdtar" | bc)") |"
echo "| bsdtar -xf + sha256sum (parallel) | $(fmt "$bsdtar") | $(rate "$DUMPS" "$bsdtar") | $(mbps "$input_bytes" "$bsdtar") | 1.00 |"
echo "| crashsift ingest, no-op re-run | $(fmt "$noop") | | | |"
echo
echo "peak RSS of crashsift ingest: $((rss_kib / 1024)) MiB"
