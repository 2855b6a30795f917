#!/usr/bin/env bash
# Symbol servers vs local stores, in one run on this machine (BENCHMARKS.md "Symbol servers"):
#   1. cold: every key of samples/store fetched from a loopback HTTP server (python3 http.server)
#      with `symbols fetch`, against `cp -r` of the same store (the floor of a local copy);
#   2. the sample pipeline with its symbols local, vs the same over HTTP with a warm cache
#      (every file already downloaded, every miss remembered): the goal is within 5%.
# Usage: scripts/bench-symbol-server.sh [REPS]   (default 5; medians are printed)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
reps=${1:-5}
# CRASHSIFT_BIN: an already built binary (both sides of each ratio use the same one).
if [ -n "${CRASHSIFT_BIN:-}" ]; then
  bin=$CRASHSIFT_BIN
else
  swift build -c release --product crashsift >/dev/null
  bin="$(swift build -c release --show-bin-path)/crashsift"
fi
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
(cd samples && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
url="http://127.0.0.1:$port"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
# Every key of the sample store.
find samples/store -mindepth 3 -maxdepth 3 -type f | sed 's|^samples/store/||' >"$work/keys.txt"
keys=$(wc -l <"$work/keys.txt")

cold=(); copy=()
for i in $(seq "$reps"); do
  rm -rf "$work/cold" "$work/copy"
  t0=$(now); "$bin" symbols fetch --quiet --keys "$work/keys.txt" --symbols "srv*$work/cold*$url/store" >/dev/null || true; t1=$(now)
  cp -r samples/store "$work/copy"; t2=$(now)
  cold+=("$(echo "$t1 - $t0" | bc)"); copy+=("$(echo "$t2 - $t1" | bc)")
done
cold_m=$(printf '%s\n' "${cold[@]}" | median); copy_m=$(printf '%s\n' "${copy[@]}" | median)

manifest() { # $1 name, $2 JSON symbol_path array
  python3 - "$1" "$2" "$work" <<'PY'
import json, sys, os
name, path, work = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
m = json.load(open("corpus-manifest.json"))
m["symbol_path"] = path
for folder in ("samples", "pipelines"):
    link = os.path.join(work, folder)
    if not os.path.exists(link):
        os.symlink(os.path.abspath(folder), link)
json.dump(m, open(os.path.join(work, name), "w"))
PY
}
root=$(pwd)
manifest local.json "[\"$root/samples/symbols\", \"srv*$root/samples/store\"]"
manifest remote.json "[\"srv*$work/cache*$url/symbols\", \"srv*$work/cache*$url/store\"]"
# Warm the cache once (downloads and remembered misses), then time both.
"$bin" run --manifest "$work/remote.json" --workspace "$work/warmup" --quiet --no-report >/dev/null 2>&1 || true
local_t=(); warm_t=()
for i in $(seq "$reps"); do
  rm -rf "$work/ws-local" "$work/ws-warm"
  t0=$(now); "$bin" run --manifest "$work/local.json" --workspace "$work/ws-local" --quiet --no-report >/dev/null 2>&1 || true; t1=$(now)
  "$bin" run --manifest "$work/remote.json" --workspace "$work/ws-warm" --quiet --no-report >/dev/null 2>&1 || true; t2=$(now)
  local_t+=("$(echo "$t1 - $t0" | bc)"); warm_t+=("$(echo "$t2 - $t1" | bc)")
done
local_m=$(printf '%s\n' "${local_t[@]}" | median); warm_m=$(printf '%s\n' "${warm_t[@]}" | median)
printf 'keys in samples/store: %s (%s)\n' "$keys" "$(du -sh samples/store | cut -f1)"
printf 'cold fetch over loopback HTTP: %.3f s   cp -r of the store: %.3f s   ratio %.1fx\n' "$cold_m" "$copy_m" "$(echo "$cold_m / $copy_m" | bc -l)"
printf 'pipeline, local store: %.3f s   warm HTTP cache: %.3f s   ratio %.3f\n' "$local_m" "$warm_m" "$(echo "$warm_m / $local_m" | bc -l)"
