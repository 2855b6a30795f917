#!/usr/bin/env bash
# Adds the forged kernel crashes to samples/archives/: 150 triage dumps ("C:\Windows\Minidump"
# uploads) of the sample kernel and drivers over the sample corpus's three nights and two builds,
# made by `crashsift forge --scale` (deterministic), zipped per night and build, plus the symbol
# store they need (samples/store: the sample images and PDBs under their store keys). Everything
# is committed; users need neither this script nor a build. Needs bsdtar (libarchive-tools).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
crashsift=${CRASHSIFT:-$here/../.build/release/crashsift}
[ -x "$crashsift" ] || (cd "$here/.." && swift build -c release --product crashsift >/dev/null)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$crashsift" forge --scale 150 --nights 3 -o "$work/corpus" --images "$here/images" >/dev/null
for night in "$work"/corpus/nights/*; do
  date=$(basename "$night")
  for build in "$night"/*; do
    label=$(basename "$build")
    stage="$work/pack/$date-$label/Minidump"
    mkdir -p "$stage"
    for dump in "$build"/*.dmp; do
      # Windows names triage dumps MMDDYY-NNNNN-01.dmp.
      cp "$dump" "$stage/$(echo "$date" | awk -F- '{printf "%s%s%s", $2, $3, substr($1,3)}')-$(basename "$dump" .dmp)-01.dmp"
    done
    find "$stage" -exec touch -d "$date 05:00:00 UTC" {} +
    (cd "$work/pack/$date-$label" && bsdtar --format zip -cf "$here/archives/$date/kernel-minidumps-$label.zip" Minidump)
  done
done
rm -rf "$here/store"
cp -r "$work/corpus/store" "$here/store"
cp "$work/corpus/truth.jsonl" "$here/archives/kernel-truth.jsonl"
ls -l "$here"/archives/*/kernel-minidumps-*.zip
