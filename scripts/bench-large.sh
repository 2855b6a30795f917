#!/usr/bin/env bash
# A night of ten large kernel dumps (BENCHMARKS.md, "A night of ten 2 GiB dumps"): five 2 GiB
# full dumps that are sparse files (about 20 MB of data each: `crashsift-bench processes-generate`)
# and five dense 2 GiB bitmap dumps (`crashsift-bench kernel-generate`). In the same run, from a
# cold page cache each time (as root; warm otherwise, and said so): `cp --sparse=always` of every
# dump to the same disk (the issue's yardstick), `sha256sum` of every dump (content addressing's
# floor), `crashsift ingest` with the default manifest (the store copies: copy_file_range of the
# data extents only) and with `"sources_immutable": true` (hard links), and `crashsift parse`.
# Prints seconds and peak RSS per step. Needs about 2.2 × 11 GB of free disk in $BENCH_WORK.
# Usage: scripts/bench-large.sh [ROUNDS]   (release build)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-1}
swift build -c release --product crashsift >/dev/null
swift build -c release --product crashsift-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
work=${BENCH_WORK:-$(mktemp -d /tmp/crashsift-large.XXXXXX)}
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
for i in 0 1 2 3 4; do
  # Distinct contents (the store keeps one copy of equal dumps): process counts, sizes.
  [ -f "$work/in/full$i.dmp" ] || "$bin/crashsift-bench" processes-generate "$work/in/full$i.dmp" $((200 + i)) 10 2 >/dev/null
  [ -f "$work/in/bitmap$i.dmp" ] || "$bin/crashsift-bench" kernel-generate "$work/in/bitmap$i.dmp" $((2048 + i)) >/dev/null
done
cat >"$work/manifest.json" <<'EOF'
{"version": 1, "description": "ten large kernel dumps", "output": "out",
 "batches": [{"id": "large", "date": "2026-12-07", "archives": [{"path": "in/*.dmp"}]}]}
EOF
python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); m["sources_immutable"] = True; json.dump(m, open(sys.argv[2], "w"))' \
  "$work/manifest.json" "$work/manifest-immutable.json"
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u '+%F %H:%M') UTC; commit $(git rev-parse --short HEAD)"
echo "input: $(du -sh --apparent-size "$work/in" | cut -f1) apparent, $(du -sh "$work/in" | cut -f1) allocated"
cold() {
  sync
  if [ "$(id -u)" -eq 0 ]; then echo 3 >/proc/sys/vm/drop_caches; else echo "(warm cache: not root)"; fi
}
measure() { # label, command…
  local label=$1
  shift
  cold
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r seconds kib <"$work/time"
  echo "| $label | $seconds s | $((kib / 1024)) MB |"
}
for round in $(seq "$rounds"); do
  echo "round $round"
  rm -rf "$work/cp" "$work/ws" "$work/ws-immutable"
  mkdir "$work/cp"
  measure "cp --sparse=always" cp --sparse=always "$work"/in/*.dmp "$work/cp/"
  echo "  (copies: $(du -sh "$work/cp" | cut -f1) allocated)"
  rm -rf "$work/cp"
  measure "sha256sum (2 processes)" sh -c "ls '$work'/in/*.dmp | xargs -P 2 -n 1 sha256sum"
  measure "crashsift ingest (copies)" "$bin/crashsift" ingest --manifest "$work/manifest.json" --workspace "$work/ws" --quiet
  echo "  (store: $(du -sh "$work/ws/dumps" | cut -f1) allocated)"
  measure "crashsift parse" "$bin/crashsift" parse --manifest "$work/manifest.json" --workspace "$work/ws" --quiet
  rm -rf "$work/ws"
  measure "crashsift ingest (sources_immutable: hard links)" "$bin/crashsift" ingest \
    --manifest "$work/manifest-immutable.json" --workspace "$work/ws-immutable" --quiet
  rm -rf "$work/ws-immutable"
done
