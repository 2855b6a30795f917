#!/usr/bin/env bash
# Builds samples/images/kernel-types/: a stand-in ntoskrnl.exe and its ntkrnlmp.pdb whose type
# records hold _EPROCESS, _KPROCESS, _ETHREAD, _KTHREAD, _KAPC_STATE at the 19041 x64 field
# offsets and _IRP, _IO_STACK_LOCATION, _DEVICE_OBJECT, _DRIVER_OBJECT at the x64 ones
# (kernel_types.c, which checks each offset at compile time). Reproducible (fixed
# timestamp, /Brepro); the outputs are committed, so the tests need no toolchain to read them.
set -euo pipefail
TC=${TC:-$(dirname "$(readlink -f "$(command -v swift)")")}
here=$(cd "$(dirname "$0")/.." && pwd)/samples/images/kernel-types
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$here/kernel_types.c" "$work/"
cd "$work"
"$TC/clang-cl" --target=x86_64-pc-windows-msvc /c /Z7 /O2 /GS- /Zl /Brepro /kernel \
  '-ffile-compilation-dir=C:\src' /Fo:kernel_types.obj kernel_types.c
"$TC/lld-link" /nologo /NODEFAULTLIB /DEBUG /BREPRO '/PDBALTPATH:%_PDB%' \
  '/PDBSOURCEPATH:C:\src' /MACHINE:X64 /SUBSYSTEM:NATIVE /ENTRY:KiSystemStartup \
  /TIMESTAMP:0x64F10000 /PDB:ntkrnlmp.pdb /OUT:ntoskrnl.exe kernel_types.obj
cp ntoskrnl.exe ntkrnlmp.pdb "$here/"
