#!/usr/bin/env bash
# Adds the forged crashes to samples/archives/: 300 dumps of the sample kernel, drivers and
# contoso-app over two weeks (2026-11-09 to 22) and three builds, made by `crashsift forge --scale`
# (deterministic): kernel triage dumps zipped per night and build as "<machine>/Minidump"
# uploads, user minidumps as "<machine>/WER" uploads in tar.gz; one upload is deliberately truncated (a corrupt
# archive the run must report and survive). Also the symbol store they need (samples/store; the
# legacyfs.sys driver's PDB is left out, as its vendor ships none) and the truth of every dump.
# Everything is committed; users need neither this script nor a build. Needs bsdtar.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
crashsift=${CRASHSIFT:-$here/../.build/release/crashsift}
[ -x "$crashsift" ] || (cd "$here/.." && swift build -c release --product crashsift >/dev/null)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The corpus' scenarios, in the order `forge --scale` takes a folder (sorted by name). Listed, not
# globbed: a scenario joining reshuffles every dump of the corpus (and every report golden), so a
# new one enters the sample corpus only when added here on purpose.
scenarios=(
  1000007e-crashdrv 133-diskmon-dpc 139-diskmon-fastfail 3b-crashdrv-syscall 50-crashdrv-write
  50-diskmon-framepointer 50-legacyfs-nopdb 50-netfilt-leaf a-netfilt-irql d1-crashdrv-build1
  d1-crashdrv-build2 user-av-contoso-app user-fastfail-contoso-app user-stackoverflow-contoso-app
)
paths=()
for name in "${scenarios[@]}"; do paths+=("$here/scenarios/$name.json"); done
"$crashsift" forge --scale 300 --nights 14 -o "$work/corpus" --images "$here/images" "${paths[@]}" \
  >/dev/null
find "$here/archives" -name 'kernel-minidumps-*' -delete
find "$here/archives" -name 'app-crashes-*' -delete
for night in "$work"/corpus/nights/*; do
  date=$(basename "$night")
  mkdir -p "$here/archives/$date"
  for build in "$night"/*; do
    label=$(basename "$build")
    kernel="$work/pack/$date-$label-k"
    user="$work/pack/$date-$label-u"
    mkdir -p "$kernel" "$user"
    for dump in "$build"/*.dmp; do
      [ -e "$dump" ] || continue
      # forge names dumps <index>_<machine>.dmp; uploads are laid out per machine.
      stem=$(basename "$dump" .dmp)
      n=${stem%%_*}
      machine=${stem#*_}
      if [ "$(head -c 4 "$dump")" = "PAGE" ]; then
        # Windows names triage dumps MMDDYY-NNNNN-01.dmp.
        mkdir -p "$kernel/$machine/Minidump"
        cp "$dump" "$kernel/$machine/Minidump/$(echo "$date" | awk -F- '{printf "%s%s%s", $2, $3, substr($1,3)}')-$n-01.dmp"
      else
        mkdir -p "$user/$machine/WER/AppCrash_contoso-app.exe_$n"
        cp "$dump" "$user/$machine/WER/AppCrash_contoso-app.exe_$n/memory.hdmp"
      fi
    done
    find "$work/pack/$date-$label-k" "$work/pack/$date-$label-u" -exec touch -d "$date 05:00:00 UTC" {} +
    if [ -n "$(ls -A "$kernel")" ]; then
      (cd "$kernel" && bsdtar --format zip -cf "$here/archives/$date/kernel-minidumps-$label.zip" PC-*)
    fi
    if [ -n "$(ls -A "$user")" ]; then
      (cd "$user" && bsdtar -czf "$here/archives/$date/app-crashes-$label.tar.gz" PC-*)
    fi
  done
done
# The corrupt upload: a kernel archive cut in half.
first=$(ls "$here"/archives/2026-11-15/kernel-minidumps-*.zip | head -1)
head -c $(( $(stat -c %s "$first") / 2 )) "$first" > "$here/archives/2026-11-15/kernel-minidumps-truncated.zip"
rm -rf "$here/store"
cp -r "$work/corpus/store" "$here/store"
cp "$work/corpus/truth.jsonl" "$here/archives/forged-truth.jsonl"
rm -f "$here/archives/kernel-truth.jsonl"
du -sh "$here/archives" "$here/store"
