#!/usr/bin/env bash
# Builds the sample kernel and drivers the forge lays crashes out from: real x64 PE images and
# PDBs made by the Swift toolchain's clang-cl, clang (assembler) and lld-link, freestanding (no
# Windows SDK). Reproducible: fixed timestamps and Windows-style source paths, so the outputs are
# byte-identical for a given toolchain version whatever the build directory (recipe:
# reference/pdb-and-symbols.md §6.1). The outputs are committed under samples/images/, so users
# without the toolchain can run everything.
set -euo pipefail
TC=${TC:-$(dirname "$(readlink -f "$(command -v swift)")")}
CL="$TC/clang-cl"; CC="$TC/clang"; LINK="$TC/lld-link"
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/images}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$here"/src/kernel/* "$here"/src/drivers/* "$here"/src/include/* "$here"/src/user/* "$work"/
cd "$work"
CFLAGS=(--target=x86_64-pc-windows-msvc /c /Z7 /O2 /GS- /Zl /Brepro /kernel '-ffile-compilation-dir=C:\src')
LFLAGS=(/nologo /NODEFAULTLIB /DEBUG /BREPRO '/PDBALTPATH:%_PDB%' '/PDBSOURCEPATH:C:\src' /MACHINE:X64)

mkdir -p "$out/ntkrnlmp" "$out/crashdrv-1" "$out/crashdrv-2" "$out/netfilt" "$out/diskmon"
# The kernel: C routines plus the assembly trap handlers (.seh_* unwind directives).
"$CL" "${CFLAGS[@]}" /Fo:ntkrnlmp_c.obj ntkrnlmp.c
"$CC" --target=x86_64-pc-windows-msvc -c ntkrnlmp_asm.s -o ntkrnlmp_asm.obj
"$LINK" "${LFLAGS[@]}" /SUBSYSTEM:NATIVE /ENTRY:KiSystemStartup /TIMESTAMP:0x64F00000 \
  /PDB:ntkrnlmp.pdb /OUT:ntkrnlmp.exe ntkrnlmp_c.obj ntkrnlmp_asm.obj
mv ntkrnlmp.exe ntkrnlmp.pdb "$out/ntkrnlmp/"

# crashdrv.sys, two builds of the same bug.
for build in 1 2; do
  "$CL" "${CFLAGS[@]}" /DBUILD=$build /Fo:crashdrv.obj crashdrv.c
  "$LINK" "${LFLAGS[@]}" /DRIVER /SUBSYSTEM:NATIVE /ENTRY:DriverEntry \
    /TIMESTAMP:$((0x65000000 + build * 0x100000)) /PDB:crashdrv.pdb /OUT:crashdrv.sys crashdrv.obj
  mv crashdrv.sys crashdrv.pdb "$out/crashdrv-$build/"
done

# netfilt.sys: a leaf without unwind info, a large frame with eight saved registers.
"$CL" "${CFLAGS[@]}" /Fo:netfilt.obj netfilt.c
"$LINK" "${LFLAGS[@]}" /DRIVER /SUBSYSTEM:NATIVE /ENTRY:DriverEntry /TIMESTAMP:0x65300000 \
  /PDB:netfilt.pdb /OUT:netfilt.sys netfilt.obj
mv netfilt.sys netfilt.pdb "$out/netfilt/"

# legacyfs.sys: an old third-party filter (netfilt's code) whose vendor ships no PDB; the forge
# leaves its PDB out of the store.
mkdir -p "$out/legacyfs"
"$LINK" "${LFLAGS[@]}" /DRIVER /SUBSYSTEM:NATIVE /ENTRY:DriverEntry /TIMESTAMP:0x5F000000 \
  /PDB:legacyfs.pdb /OUT:legacyfs.sys netfilt.obj
mv legacyfs.sys legacyfs.pdb "$out/legacyfs/"

# diskmon.sys with frame pointers kept.
"$CL" "${CFLAGS[@]}" /clang:-fno-omit-frame-pointer /Fo:diskmon.obj diskmon.c
"$LINK" "${LFLAGS[@]}" /DRIVER /SUBSYSTEM:NATIVE /ENTRY:DriverEntry /TIMESTAMP:0x65400000 \
  /PDB:diskmon.pdb /OUT:diskmon.sys diskmon.obj
mv diskmon.sys diskmon.pdb "$out/diskmon/"

# User mode: kernel32.dll and ntdll.dll (the thread-start frames) and contoso-app.exe.
mkdir -p "$out/user"
UCFLAGS=(--target=x86_64-pc-windows-msvc /c /Z7 /O2 /GS- /Zl /Brepro '-ffile-compilation-dir=C:\src')
"$CL" "${UCFLAGS[@]}" /Fo:kernel32.obj kernel32.c
"$LINK" "${LFLAGS[@]}" /DLL /NOENTRY /TIMESTAMP:0x65700000 /PDB:kernel32.pdb /IMPLIB:kernel32.lib \
  /OUT:kernel32.dll kernel32.obj
"$CL" "${UCFLAGS[@]}" /Fo:ntdll.obj ntdll.c
"$LINK" "${LFLAGS[@]}" /DLL /NOENTRY /TIMESTAMP:0x65700001 /PDB:ntdll.pdb /OUT:ntdll.dll ntdll.obj kernel32.lib
"$CL" "${UCFLAGS[@]}" /Fo:app.obj app.c
"$LINK" "${LFLAGS[@]}" /SUBSYSTEM:CONSOLE /ENTRY:mainCRTStartup /TIMESTAMP:0x65700002 \
  /PDB:contoso-app.pdb /OUT:contoso-app.exe app.obj
mv kernel32.dll kernel32.pdb ntdll.dll ntdll.pdb contoso-app.exe contoso-app.pdb "$out/user/"

# ARM64 builds of netfilt.sys for the ARM64 unwinder: without frame pointers (packed unwind data)
# and with them (an .xdata record with save_next codes).
mkdir -p "$out/netfilt-arm64" "$out/netfilt-arm64fp"
ACFLAGS=("${CFLAGS[@]}"); ACFLAGS[0]=--target=aarch64-pc-windows-msvc
ALFLAGS=("${LFLAGS[@]}"); ALFLAGS[${#ALFLAGS[@]}-1]=/MACHINE:ARM64
"$CL" "${ACFLAGS[@]}" /Fo:netfilt-a.obj netfilt.c
"$LINK" "${ALFLAGS[@]}" /DRIVER /SUBSYSTEM:NATIVE /ENTRY:DriverEntry /TIMESTAMP:0x65500000 \
  /PDB:netfilt.pdb /OUT:netfilt.sys netfilt-a.obj
mv netfilt.sys netfilt.pdb "$out/netfilt-arm64/"
"$CL" "${ACFLAGS[@]}" /clang:-fno-omit-frame-pointer /Fo:netfilt-afp.obj netfilt.c
"$LINK" "${ALFLAGS[@]}" /DRIVER /SUBSYSTEM:NATIVE /ENTRY:DriverEntry /TIMESTAMP:0x65600000 \
  /PDB:netfilt.pdb /OUT:netfilt.sys netfilt-afp.obj
mv netfilt.sys netfilt.pdb "$out/netfilt-arm64fp/"
ls -l "$out"/*/
