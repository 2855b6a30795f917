#!/usr/bin/env bash
# Whole-pipeline benchmark (BENCHMARKS.md): `crashsift forge --scale N`, then `crashsift run`
# (time per stage from its --json summary, peak RSS), a no-op re-run, and `crashsift report` on
# the built database; next to it, in the same run, `bsdtar`+`sha256sum` reading the same dumps
# (the floor for ingest: every byte read and hashed once). Usage: scripts/bench-pipeline.sh [N]
# [nights]. Needs /usr/bin/time (Debian's `time`). Uses about 110 KB of disk per dump, twice.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
NIGHTS=${2:-7}
work=${BENCH_WORK:-$(mktemp -d /tmp/crashsift-pbench.XXXXXX)}
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
swift build -c release --product crashsift >/dev/null
bin=$(swift build -c release --show-bin-path)/crashsift
measure() { # label command...
  local log="$work/time-$1.log"
  shift
  /usr/bin/time -f "%e %M" -o "$log" "$@" >"$work/out.json" 2>"$work/err.log" || true
  read -r seconds kib <"$log"
  echo "$seconds $((kib / 1024))"
}
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%F); commit $(git rev-parse --short HEAD)"
read -r s m < <(measure forge "$bin" forge --scale "$N" --nights "$NIGHTS" -o "$work/corpus" --images samples/images)
echo "| forge --scale $N | ${s} s | ${m} MB |"
read -r s m < <(measure run "$bin" run --manifest "$work/corpus/manifest.json" --quiet --json --no-report)
stages=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
parts = ["ingest %.1f s" % d["ingest"]["seconds"]] if d.get("ingest") and "seconds" in d["ingest"] else []
# With the hand-off (workers.hand_off) a stage's seconds cover the passes it led: parse's pass
# runs symbolize and bucket on its dumps too.
parts += ["%s %.1f s%s" % (x["name"], x["seconds"], " (%d handed off)" % x["handed_off"] if x.get("handed_off") else "") for x in d.get("stages", []) if "seconds" in x]
print(", ".join(parts))' "$work/out.json" 2>/dev/null || echo "")
echo "| run ($stages) | ${s} s ($(python3 -c "print(round($N / $s))") dumps/s) | ${m} MB |"
# Worker isolation's cost: the same run on threads (--in-process) and isolated again, each into
# a fresh workspace, with the page cache already warm from the first run.
for mode in in-process isolated; do
  flags=()
  [ "$mode" = in-process ] && flags=(--in-process)
  read -r s m < <(measure "run-$mode" "$bin" run --manifest "$work/corpus/manifest.json" \
    --workspace "$work/ws-$mode" --quiet --json --no-report "${flags[@]}")
  echo "| run, $mode, warm cache | ${s} s ($(python3 -c "print(round($N / $s))") dumps/s) | ${m} MB |"
done
read -r s m < <(measure rerun "$bin" run --manifest "$work/corpus/manifest.json" --quiet --no-report)
echo "| no-op re-run | ${s} s | ${m} MB |"
read -r s m < <(measure report "$bin" report --manifest "$work/corpus/manifest.json")
echo "| report (database built; $(ls "$work/corpus/out/report/buckets" | wc -l) bucket pages) | ${s} s | ${m} MB |"
# Bare dumps: ingest alone, copied by the kernel (the default) and hard-linked (the manifest's
# sources_immutable), each into a fresh workspace.
python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); m["sources_immutable"] = True; json.dump(m, open(sys.argv[2], "w"))' \
  "$work/corpus/manifest.json" "$work/corpus/manifest-immutable.json"
for manifest in manifest manifest-immutable; do
  read -r s m < <(measure "ingest-$manifest" "$bin" ingest --manifest "$work/corpus/$manifest.json" \
    --workspace "$work/ws-ingest-$manifest" --quiet)
  echo "| ingest only, $manifest.json | ${s} s | ${m} MB |"
done
# The floor for ingest: read and hash every dump once, no store, no database.
read -r s m < <(measure floor sh -c "find '$work/corpus/nights' -name '*.dmp' -print0 | xargs -0 -P $(nproc) -n 500 sha256sum >/dev/null")
echo "| sha256sum of every dump ($(nproc) processes; ingest's floor) | ${s} s | ${m} MB |"
