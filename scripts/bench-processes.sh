#!/usr/bin/env bash
# `analyze --processes` and `--threads` on a 2 GiB sparse full memory dump with 200 processes × 10
# threads and 200–3,000 handles each (`crashsift-bench processes-generate`), next to two
# independent readers of the same file in the same run: kdmp-parser only opening it (the oracle
# venv; a floor for "open a 2 GiB dump"), and volatility3 listing its processes, threads and
# handles (windows.pslist + windows.threads + windows.handles through
# scripts/oracles/vol3-process-list.py, the test venv). Prints seconds and peak RSS per run.
# Usage: scripts/bench-processes.sh [RUNS]   (release build; needs install-deps.sh and the oracles)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
swift build -c release --product crashsift >/dev/null
swift build -c release --product crashsift-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
venv=${CRASHSIFT_TEST_VENV:-$HOME/.cache/crashsift-test-venv}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin/crashsift-bench" processes-generate "$work/processes.dmp" 200 10 2
ls -ls "$work/processes.dmp"
measure() { # label, command…
  local label=$1
  shift
  /usr/bin/time -f "$label %e s %M KB" "$@" >/dev/null 2>"$work/time" || { cat "$work/time"; exit 1; }
  tail -1 "$work/time"
}
for _ in $(seq "$runs"); do
  measure "crashsift analyze --processes" "$bin/crashsift" analyze --processes "$work/processes.dmp"
  measure "crashsift analyze --threads" "$bin/crashsift" analyze --threads "$work/processes.dmp"
  measure "kdmp-parser open" python3 ../shared/oracles/kdmp_oracle.py "$work/processes.dmp"
  measure "volatility3 pslist+threads+handles" "$venv/bin/python" scripts/oracles/vol3-process-list.py \
    "$work/processes.dmp" samples/images/kernel-types/ntkrnlmp.pdb 0xFFFFF8047BA00000 \
    0xFFFFF8047C61E200 "$work/vol3" 0xFFFFF8047C6FB000 0xFFFFF8047C6FBF00
done
