#!/usr/bin/env bash
# Minidump parsing benchmark (BENCHMARKS.md): every corpus minidump parsed ITERATIONS times by
# crashsift (release build, all streams read) and by the skelsec `minidump` parser (the oracle's
# venv), in the same run. Usage: scripts/bench-minidump.sh [iterations] [skelsec-iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
ITERATIONS=${1:-1000}
SKELSEC_ITERATIONS=${2:-50}
corpus=${CRASHSIFT_CORPUS:-../shared/corpus}
venv=${CRASHSIFT_ORACLE_VENV:-$HOME/.cache/crashsift-oracles/venv}
mapfile -t files < <(find "$corpus/minidump" -name '*.dmp' | sort)
swift build -c release --product crashsift-bench >/dev/null
bin=$(swift build -c release --show-bin-path)/crashsift-bench

ours=$("$bin" minidump-parse "$ITERATIONS" "${files[@]}")
report=$("$bin" minidump-report "$ITERATIONS" "${files[@]}")
theirs=$("$venv/bin/python" - "$SKELSEC_ITERATIONS" "${files[@]}" <<'PY'
import json, logging, sys, time
logging.disable(logging.CRITICAL)
from minidump.minidumpfile import MinidumpFile
iterations, files = int(sys.argv[1]), sys.argv[2:]
parsed = 0
start = time.perf_counter()
for _ in range(iterations):
    for path in files:
        try:
            MinidumpFile.parse(path)
            parsed += 1
        except Exception:
            pass
seconds = time.perf_counter() - start
print(json.dumps({"tool": "skelsec minidump 0.0.24", "parses": parsed, "seconds": seconds, "per_second": parsed / seconds}))
PY
)
python3 - "$ours" "$report" "$theirs" "${#files[@]}" <<'PY'
import json, sys
ours, report, theirs, count = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4])
print(f"files: {count} corpus minidumps (11 KB to 1 MB)")
print("| parser | parses | time (s) | dumps/s | speed-up |")
print("|---|---|---|---|---|")
for r in (ours, report, theirs):
    print(f"| {r['tool']} | {r['parses']} | {r['seconds']:.2f} | {r['per_second']:,.0f} | {r['per_second'] / theirs['per_second']:.1f}x |")
PY
