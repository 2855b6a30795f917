#!/usr/bin/env bash
# Rebuilds samples/archives/ from public minidumps of the shared corpus (google/breakpad testdata,
# BSD-3-Clause; see samples/README.md). The archives are committed: users need neither this script
# nor the corpus. Needs bsdtar (libarchive-tools) and gcab.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
corpus=${CRASHSIFT_CORPUS:-$here/../../shared/corpus}
src=$corpus/minidump/breakpad/src/processor/testdata
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$here/archives
rm -rf "$out"
mkdir -p "$out/2026-11-20" "$out/2026-11-21" "$out/2026-11-22"

put() { # put <dir> <dump> <name-in-archive>
  mkdir -p "$work/$1/$(dirname "$3")"
  cp "$src/$2" "$work/$1/$3"
  touch -d '2026-11-20 04:00:00 UTC' "$work/$1/$3"
}

# Night 1: zip and tar.gz, one non-dump file.
put a ascii_read_av.dmp "WER/M-0001/contoso-app_2026-11-20_0412.dmp"
put a null_read_av.dmp "WER/M-0002/contoso-app_2026-11-20_0533.dmp"
put a minidump2.dmp "WER/M-0003/test_app_2026-11-20_0610.dmp"
(cd "$work/a" && bsdtar --format zip -cf "$out/2026-11-20/field-upload-0001.zip" WER)
put b null_write_av.dmp "reports/M-0004/contoso-app.dmp"
put b read_av_non_null.dmp "reports/M-0005/contoso-app.dmp"
printf 'collected by the field agent\n' > "$work/b/reports/README.txt"
(cd "$work/b" && bsdtar -czf "$out/2026-11-20/field-upload-0002.tar.gz" reports)

# Night 2: 7z (one dump seen again from night 1), and a zip holding a nested tar.xz.
put c ascii_write_av.dmp "M-0006/crash.mdmp"
put c tiny-exe-fastfail.dmp "M-0007/crash.mdmp"
put c null_read_av.dmp "M-0002/crash-again.dmp"
(cd "$work/c" && bsdtar --format 7zip -cf "$out/2026-11-21/field-upload-0003.7z" M-0006 M-0007 M-0002)
put d thread_name_list.dmp "inner/M-0008/app.dmp"
put d write_av_non_canonical.dmp "inner/M-0009/app.dmp"
(cd "$work/d/inner" && bsdtar -cJf "$work/d/bundle.tar.xz" M-0008 M-0009)
(cd "$work/d" && bsdtar --format zip -cf "$out/2026-11-21/field-upload-0004.zip" bundle.tar.xz)

# Night 3: tar.zst and cab.
put e stack_exhaustion.dmp "M-0010/contoso-app.dmp"
put e tiny-exe-with-cet-xsave.dmp "M-0011/contoso-svc.dmp"
(cd "$work/e" && bsdtar --zstd -cf "$out/2026-11-22/field-upload-0005.tar.zst" M-0010 M-0011)
put f ascii_read_av_conditional.dmp "M-0012/contoso-app.dmp"
(cd "$work/f" && gcab -c -z "$out/2026-11-22/field-upload-0006.cab" M-0012/contoso-app.dmp)
ls -l "$out"/*
