#!/usr/bin/env bash
# Stack walking + symbolizing throughput: forges every sample scenario (triage, full and bitmap
# dumps of real sample images, images and PDBs in a symbol store), then walks and symbolizes the
# crashing thread of each dump REPEAT times on 1 and on 2 threads (release build). Also breakpad's
# minidump2 (x86, STACK WIN) and the real triage dumps. Prints one JSON line per measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
repeat=${1:-2000}
swift build -c release --product crashsift --product crashsift-bench >/dev/null 2>&1 ||
  swift build -c release >/dev/null
bin=$(swift build -c release --show-bin-path)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$bin/crashsift" forge samples/scenarios/*.json -o "$work/forged" >/dev/null
corpus=${CRASHSIFT_CORPUS:-../shared/corpus}
kernel=("$work"/forged/*.dmp)
echo "# forged kernel dumps (${#kernel[@]} files: triage, full, bitmap, RDMP), symbols from the forge store"
for jobs in 1 2; do
  "$bin/crashsift-bench" walk "srv*$work/forged/store" "$repeat" "$jobs" "${kernel[@]}"
done
if [ -d "$corpus" ]; then
  td="$corpus/minidump/breakpad/src/processor/testdata"
  echo "# breakpad minidump2.dmp (x86, STACK WIN), symbols: its .sym folder"
  for jobs in 1 2; do
    "$bin/crashsift-bench" walk "$td/symbols" "$repeat" "$jobs" "$td/minidump2.dmp"
  done
  echo "# real triage dumps (x64 scan/prologue, ARM64 frame records), no symbols"
  for jobs in 1 2; do
    "$bin/crashsift-bench" walk "" "$repeat" "$jobs" "$corpus/kernel/triage_x64.dmp" "$corpus/kernel/triage_arm64.dmp"
  done
fi
