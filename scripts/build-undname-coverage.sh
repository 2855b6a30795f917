#!/usr/bin/env bash
# Builds the MSVC-undecoration coverage PDBs from Tests/Fixtures/undname-coverage/coverage.cpp:
# one x64 and one x86 DLL (x86 decorates __stdcall, __fastcall and __thiscall differently), made
# by the Swift toolchain's clang-cl and lld-link, freestanding (no Windows SDK, no STL, no CRT).
# Only the PDBs are kept: MSVCDemanglerTests reads their publics and compares each decorated one
# with llvm-undname. Reproducible like samples/build.sh: fixed timestamps and Windows-style
# source paths, so the PDBs are byte-identical for a given toolchain whatever the build folder.
# The outputs are committed, so the test needs no toolchain; rerun after editing coverage.cpp.
set -euo pipefail
TC=${TC:-$(dirname "$(readlink -f "$(command -v swift)")")}
CL="$TC/clang-cl"; LINK="$TC/lld-link"
here=$(cd "$(dirname "$0")/.." && pwd)/Tests/Fixtures/undname-coverage
out=${1:-$here}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$here/coverage.cpp" "$work/"
cd "$work"
# /Z7 with line tables only: the PDB gets publics, procedures and lines but no type records,
# which would triple its size and are not what the test reads. -w: the stubs return null from
# operator new and take volatile parameters on purpose.
CFLAGS=(/c /Z7 /clang:-gline-tables-only /Od /GS- /Zl /EHsc /GR /std:c++20 -w /Brepro
  '-ffile-compilation-dir=C:\src')
# /OPT:NOREF and /OPT:NOICF keep every definition, so each mangled name reaches the publics.
LFLAGS=(/nologo /DLL /NOENTRY /NODEFAULTLIB /DEBUG /OPT:NOREF /OPT:NOICF /BREPRO
  '/PDBALTPATH:%_PDB%' '/PDBSOURCEPATH:C:\src')
for arch in x64 x86; do
  case $arch in
  x64) target=x86_64-pc-windows-msvc; machine=X64; stamp=0x66000000 ;;
  x86) target=i686-pc-windows-msvc; machine=X86; stamp=0x66000001 ;;
  esac
  # x86 without thread-safe statics, as MSVC before 2015 built them: local static guards are
  # then ??_B (`local static guard') instead of ?$TSS0.
  extra=(); [ $arch = x86 ] && extra=(/Zc:threadSafeInit-)
  "$CL" --target=$target "${CFLAGS[@]}" "${extra[@]}" /Fo:coverage-$arch.obj coverage.cpp
  "$LINK" "${LFLAGS[@]}" /MACHINE:$machine /TIMESTAMP:$stamp /PDB:coverage-$arch.pdb \
    /OUT:coverage-$arch.dll coverage-$arch.obj
  cp coverage-$arch.pdb "$out/"
done
ls -l "$out"/*.pdb
