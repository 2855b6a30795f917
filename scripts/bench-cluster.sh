#!/usr/bin/env bash
# Cluster benchmark (BENCHMARKS.md, docs/cluster.md): one forged night run as 1 shard (a plain
# `crashsift run`), then planned into 2 and 4 shards run one after another on this machine (each
# with every core, as each would have on its own node), merged, and reported; peak RSS of each
# step; and `sha256sum` over the same dumps in the same run (the floor). From these: per-shard
# overhead, merge cost per 10,000 dumps, and a projection for N machines. At the end each merged
# workspace is compared with the single run's, row for row (timestamps and run bookkeeping aside).
# Usage: scripts/bench-cluster.sh [N] — default 100000. Needs /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
work=${BENCH_WORK:-$(mktemp -d /tmp/crashsift-cbench.XXXXXX)}
mkdir -p "$work"
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
swift build -c release --product crashsift >/dev/null
bin=$(swift build -c release --show-bin-path)/crashsift
measure() { # label command...
  local label=$1
  local log="$work/time-$label.log"
  shift
  if ! /usr/bin/time -f "%e %M" -o "$log" "$@" >"$work/out-$label.txt" 2>"$work/err-$label.log"; then
    echo "bench-cluster: $label failed (exit status in $log, stderr in $work/err-$label.log)" >&2
    exit 1
  fi
  read -r seconds kib <"$log"
  echo "$seconds $((kib / 1024))"
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F); commit $(git rev-parse --short HEAD); $N dumps"
read -r s m < <(measure forge "$bin" forge --scale "$N" -o "$work/corpus" --images samples/images)
echo "| forge --scale $N | ${s} s | ${m} MB |"
manifest="$work/corpus/manifest.json"
read -r s m < <(measure floor sh -c "find '$work/corpus/nights' -name '*.dmp' -print0 | xargs -0 -P $(nproc) -n 500 sha256sum >/dev/null")
echo "| sha256sum of every dump ($(nproc) processes; the floor) | ${s} s | ${m} MB |"
read -r s m < <(measure single "$bin" run --manifest "$manifest" --workspace "$work/single" --quiet --no-report --offline)
single=$s
echo "| 1 shard: run | ${s} s ($(python3 -c "print(round($N / $s))") dumps/s) | ${m} MB |"
for k in 2 4; do
  read -r s m < <(measure "plan$k" "$bin" plan --shards "$k" --manifest "$manifest" --workspace "$work/merged-$k" -o "$work/plan-$k.json")
  echo "| $k shards: plan | ${s} s | ${m} MB |"
  total=0
  shard_list=()
  for i in $(seq 0 $((k - 1))); do
    read -r s m < <(measure "shard$k-$i" "$bin" run --plan "$work/plan-$k.json" --shard "$i" --workspace "$work/s$k-$i" --quiet --offline)
    total=$(python3 -c "print(round($total + $s, 2))")
    shard_list+=("$work/s$k-$i")
    echo "| $k shards: shard $i | ${s} s | ${m} MB |"
  done
  echo "| $k shards: all shards, one after another | ${total} s (overhead vs 1 shard: $(python3 -c "print(round($total - $single, 1))") s) | |"
  read -r s m < <(measure "merge$k" "$bin" merge "${shard_list[@]}" --into "$work/merged-$k" --manifest "$manifest" --quiet --offline)
  echo "| $k shards: merge | ${s} s ($(python3 -c "print(round($s * 10000 / $N, 2))") s per 10,000 dumps) | ${m} MB |"
  read -r s m < <(measure "report$k" "$bin" report --manifest "$manifest" --workspace "$work/merged-$k")
  echo "| $k shards: report | ${s} s | ${m} MB |"
  rm -rf "${shard_list[@]}"
done
# The merged workspaces must equal the single run's (what the tests check at small scale).
python3 - "$work/single/crashsift.sqlite" "$work/merged-2/crashsift.sqlite" "$work/merged-4/crashsift.sqlite" <<'PY'
import sqlite3, sys
VOLATILE = {"updated_at", "started_at", "finished_at", "pid", "host", "attempts", "merged_at"}
SKIP = {"runs", "merged_shards", "sqlite_sequence", "grdb_migrations"}
def rows(path):
    c = sqlite3.connect(path)
    out = {}
    for (t,) in c.execute("SELECT name FROM sqlite_master WHERE type='table'"):
        if t in SKIP:
            continue
        cols = [r[1] for r in c.execute(f"PRAGMA table_info({t})") if r[1] not in VOLATILE]
        quoted = ",".join('"%s"' % x for x in cols)
        out[t] = sorted(map(repr, c.execute(f"SELECT {quoted} FROM {t}")))
    return out
single = rows(sys.argv[1])
for merged in sys.argv[2:]:
    same = rows(merged) == single
    print(f"| {merged.split('/')[-2]} equals the single run | {'yes' if same else 'NO'} | |")
    if not same:
        sys.exit(1)
PY
