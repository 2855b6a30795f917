#!/usr/bin/env bash
# Kernel dump benchmark (BENCHMARKS.md): sparse bitmap dumps of 45 and 450 MB from the dump
# writer; open + header + module list + 10,000 random 8-byte virtual reads, by crashsift and by
# kdmp-parser (oracle venv; open + header + the same reads, page by page), in the same run.
# Usage: scripts/bench-kernel.sh [reads]
set -euo pipefail
cd "$(dirname "$0")/.."
READS=${1:-10000}
venv=${CRASHSIFT_ORACLE_VENV:-$HOME/.cache/crashsift-oracles/venv}
work=$(mktemp -d /tmp/crashsift-kbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
swift build -c release --product crashsift-bench >/dev/null
bin=$(swift build -c release --show-bin-path)/crashsift-bench
echo "| dump | tool | open (ms) | open + modules + $READS reads (ms) |"
echo "|---|---|---|---|"
for mb in 45 450; do
  "$bin" kernel-generate "$work/k$mb.dmp" "$mb" >/dev/null
  sync
  # Warm the page cache for both tools alike.
  cat "$work/k$mb.dmp" >/dev/null
  ours=$("$bin" kernel-read "$work/k$mb.dmp" "$READS" 42)
  theirs=$("$venv/bin/python" - "$work/k$mb.dmp" "$READS" <<'PY'
import json, sys, time, io, contextlib
import kdmp_parser
path, reads = sys.argv[1], int(sys.argv[2])
base = 0xFFFFF80100000000
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    d = kdmp_parser.KernelDumpParser(path)
h = d.header
_ = (h.BugCheckCode, h.DirectoryTableBase, h.PsLoadedModuleList)
opened = time.perf_counter()
pages = len(d.pages) - 2
state, missing, total = 42, 0, 0
for _ in range(reads):
    state = (state * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
    index = (state >> 33) % max(pages // 2, 1)
    page = d.read_virtual_page(base + index * 0x1000)
    if page is None:
        missing += 1
    else:
        total += page[8]
end = time.perf_counter()
print(json.dumps({"tool": "kdmp-parser 0.7.4", "open_ms": (opened - start) * 1000, "missing": missing, "total_ms": (end - start) * 1000}))
PY
)
  python3 - "$mb" "$ours" "$theirs" <<'PY'
import json, sys
mb, ours, theirs = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
for r in (ours, theirs):
    extra = f" ({r['modules']} modules)" if "modules" in r else ""
    print(f"| {mb} MB | {r['tool']}{extra} | {r['open_ms']:.1f} | {r['total_ms']:.1f} |")
print(f"| {mb} MB | ratio crashsift/kdmp-parser | {ours['open_ms']/theirs['open_ms']:.2f} | {ours['total_ms']/theirs['total_ms']:.2f} |", file=sys.stdout)
PY
done
