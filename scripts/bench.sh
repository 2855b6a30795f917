#!/usr/bin/env bash
# The performance suite (BENCHMARKS.md): every benchmark, each next to its independent tool in the
# same run, on one machine and one commit. Prints the machine, date and commit, then each script's
# table. Usage: scripts/bench.sh [--quick]  (quick: smaller sizes, for a smoke check).
# Needs the oracles (../shared/oracles/install.sh), bsdtar and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
quick=${1:-}
echo "# crashsift performance suite"
echo "machine: $(uname -m), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u '+%F %H:%M UTC'); commit $(git rev-parse --short HEAD)"
run() { echo; echo "## $*"; "$@"; }
# Peak memory of `crashsift analyze` on a 450 MB kernel bitmap dump (goal: under 300 MB).
analyze_450() {
  local work bin
  work=$(mktemp -d /tmp/crashsift-mem.XXXXXX)
  swift build -c release --product crashsift --product crashsift-bench >/dev/null 2>&1 ||
    swift build -c release >/dev/null
  bin=$(swift build -c release --show-bin-path)
  "$bin/crashsift-bench" kernel-generate "$work/k450.dmp" 450 >/dev/null
  /usr/bin/time -f "%e s, peak RSS %M KiB" -o "$work/time" "$bin/crashsift" analyze "$work/k450.dmp" >/dev/null
  echo "| crashsift analyze, $(du -m "$work/k450.dmp" | cut -f1) MB bitmap dump | $(cat "$work/time") |"
  rm -rf "$work"
}
if [ "$quick" = --quick ]; then
  run scripts/bench-ingest.sh 1000 5 1
  run scripts/bench-minidump.sh 50 5
  run scripts/bench-kernel.sh 1000
  run scripts/bench-pdb.sh 2000
  run scripts/bench-walk.sh 100
  run scripts/bench-pipeline.sh 1000
else
  run scripts/bench-ingest.sh 10000 20 3
  run scripts/bench-minidump.sh 1000 50
  run scripts/bench-kernel.sh 10000
  run scripts/bench-pdb.sh 20000
  run scripts/bench-walk.sh 2000
  run scripts/bench-pipeline.sh 10000
  run scripts/bench-pipeline.sh 100000
fi
run analyze_450
