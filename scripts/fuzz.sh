#!/usr/bin/env bash
# libFuzzer campaign for the parsers. Usage: scripts/fuzz.sh [target] [seconds]
# Targets: minidump, kernel, pdb, sym, pe, archive, undname, table, pipeline (or `all`, each for
# the budget). Seeds: the corpus files of each kind; findings are written to
# out/fuzz/<target>/findings/. A crashing input is fixed and kept as a regression test
# (Tests/FuzzFindings/<target>/, replayed by the tests).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET=${1:-minidump}
SECONDS_BUDGET=${2:-60}
if [ "$TARGET" = all ]; then
  for target in minidump kernel pdb sym pe archive undname table pipeline; do
    echo "== $target"
    "$0" "$target" "$SECONDS_BUDGET"
  done
  exit 0
fi
corpus=${CRASHSIFT_CORPUS:-../shared/corpus}
out=out/fuzz/$TARGET
build=.build-fuzz
mkdir -p "$out/corpus" "$out/findings" "$build"
flags=(-O -g -sanitize=fuzzer,address -parse-as-library)
swiftc "${flags[@]}" 2>/dev/null -emit-library -static -emit-module -module-name ByteReader \
  -emit-module-path "$build/ByteReader.swiftmodule" Sources/ByteReader/*.swift \
  -o "$build/libByteReader.a"
swiftc "${flags[@]}" 2>/dev/null -I "$build" -L "$build" -lByteReader -emit-library -static \
  -emit-module -module-name CPUContexts -emit-module-path "$build/CPUContexts.swiftmodule" \
  Sources/CPUContexts/*.swift -o "$build/libCPUContexts.a"
swiftc "${flags[@]}" 2>/dev/null -I "$build" -L "$build" -lByteReader -emit-library -static \
  -emit-module -module-name CodeView -emit-module-path "$build/CodeView.swiftmodule" \
  Sources/CodeView/*.swift -o "$build/libCodeView.a"
case $TARGET in
  minidump)
    swiftc "${flags[@]}" -I "$build" -L "$build" -lByteReader -lCPUContexts -lCodeView \
      -module-name Minidump \
      Sources/Minidump/*.swift Fuzz/MinidumpFuzzer.swift -o "$build/fuzz-minidump" 2>/dev/null
    find "$corpus/minidump" -name '*.dmp' -exec cp {} "$out/corpus/" \;
    ;;
  kernel)
    swiftc "${flags[@]}" -I "$build" -L "$build" -lByteReader -lCPUContexts -module-name KernelDump \
      Sources/KernelDump/*.swift Fuzz/KernelDumpFuzzer.swift -o "$build/fuzz-kernel" 2>/dev/null
    cp "$corpus"/kernel/*.dmp "$out/corpus/"
    # Small synthetic full, bitmap and RDMP dumps from the dump writer.
    swift build --product crashsift-bench >/dev/null
    "$(swift build --show-bin-path)/crashsift-bench" kernel-generate "$out/corpus/synthetic-bitmap.dmp" 1 >/dev/null
    # ARM64, x86 PAE, x86 (full and bitmap) and a 32-bit triage dump.
    "$(swift build --show-bin-path)/crashsift-bench" paging-generate "$out/corpus"
    # A memory dump with a process list: 12 processes of 3 threads.
    "$(swift build --show-bin-path)/crashsift-bench" processes-generate "$out/corpus/processes.dmp" 12 3 >/dev/null
    ;;
  pdb)
    swiftc "${flags[@]}" -I "$build" -L "$build" -lByteReader -lCodeView -module-name PDB \
      Sources/PDB/*.swift Fuzz/PDBFuzzer.swift -o "$build/fuzz-pdb" 2>/dev/null
    find "$corpus/pdb" -type f -name '*.pdb' -size -1100k -exec cp {} "$out/corpus/" \;
    cp samples/images/kernel-types/ntkrnlmp.pdb "$out/corpus/kernel-types.pdb"
    ;;
  sym)
    swiftc "${flags[@]}" -I "$build" -L "$build" -lByteReader -module-name Symbols \
      Sources/Symbols/BreakpadSymbolReader.swift Sources/Symbols/SymbolTable.swift \
      Sources/Symbols/SymbolTableArchive.swift Sources/Symbols/MappedSymbolTable.swift \
      Sources/Symbols/SymbolRecords.swift Fuzz/BreakpadSymbolFuzzer.swift -o "$build/fuzz-sym" 2>/dev/null
    find "$corpus" -type f -name '*.sym' -size -1100k -exec cp {} "$out/corpus/" \;
    ;;
  pe)
    swiftc "${flags[@]}" -I "$build" -L "$build" -lByteReader -lCodeView -module-name PEImage \
      Sources/PEImage/*.swift Fuzz/PEImageFuzzer.swift -o "$build/fuzz-pe" 2>/dev/null
    find "$corpus" -type f \( -iname '*.dll' -o -iname '*.exe' -o -iname '*.sys' \) -size -1100k \
      -exec cp {} "$out/corpus/" \;
    cp samples/images/*.sys samples/images/*.exe "$out/corpus/" 2>/dev/null || true
    ;;
  archive)
    # Checkpoint's value types and a SHA256 stand-in, so the walker builds without GRDB and BoringSSL.
    swiftc "${flags[@]}" -emit-library -static -emit-module -module-name Checkpoint \
      -emit-module-path "$build/Checkpoint.swiftmodule" Sources/Checkpoint/DumpKind.swift \
      Sources/Checkpoint/StoredDump.swift Sources/Checkpoint/ArchiveOutcome.swift \
      -o "$build/libCheckpoint.a" 2>/dev/null
    swiftc "${flags[@]}" -emit-library -static -emit-module -module-name Crypto \
      -emit-module-path "$build/Crypto.swiftmodule" Fuzz/Support/CryptoStandIn.swift \
      -o "$build/libCrypto.a" 2>/dev/null
    swiftc "${flags[@]}" -I "$build" -L "$build" -lCheckpoint -lCrypto -I Sources/CArchive \
      -I Sources/CPosix $(pkg-config --cflags-only-I libarchive | sed 's/-I/-Xcc -I/g') -larchive \
      -module-name Ingest Sources/Ingest/*.swift Fuzz/ArchiveWalkerFuzzer.swift \
      -o "$build/fuzz-archive" 2>/dev/null
    find samples/archives -type f -size -1100k -exec cp {} "$out/corpus/" \;
    ;;
  undname)
    swiftc "${flags[@]}" -module-name Symbols Sources/Symbols/MSVCDemangler*.swift \
      Sources/Symbols/MSVCSyntax*.swift Fuzz/MSVCDemanglerFuzzer.swift \
      -o "$build/fuzz-undname" 2>/dev/null
    # Seeds: the decorated names in the corpus PDBs and the undecoration coverage PDBs, one per
    # file.
    find "$corpus" Tests/Fixtures/undname-coverage -type f -name '*.pdb' -size -5M \
      -exec grep -aoh '?[?$@A-Za-z0-9_<>]\{4,\}' {} + | sort -u | head -5000 \
      | split -l 1 - "$out/corpus/name-"
    ;;
  table)
    swiftc "${flags[@]}" -I "$build" -L "$build" -lByteReader -module-name Symbols \
      Sources/Symbols/SymbolTable.swift Sources/Symbols/SymbolTableArchive.swift \
      Sources/Symbols/MappedSymbolTable.swift Sources/Symbols/SymbolRecords.swift \
      Fuzz/SymbolTableArchiveFuzzer.swift -o "$build/fuzz-table" 2>/dev/null
    # Seeds: archives of the corpus .sym files and PDBs.
    swift build --product crashsift-bench >/dev/null
    find "$corpus" -type f \( -name '*.sym' -o -name '*.pdb' \) -size -1100k | head -40 | while read -r f; do
      "$(swift build --show-bin-path)/crashsift-bench" table-archive "$f" "$out/corpus/$(basename "$f").cstab" || true
    done
    ;;
  pipeline)
    # One dump through parse, symbolize and bucket (Fuzz/PipelineFuzzer.swift): every format
    # library, Symbols with the system libarchive, Unwind, then Analysis with the fuzzer; real MD5
    # and a SHA256 stand-in as `Crypto`.
    lib() {
      local name=$1; shift
      swiftc "${flags[@]}" -I "$build" -L "$build" -emit-library -static -emit-module \
        -module-name "$name" -emit-module-path "$build/$name.swiftmodule" "$@" \
        -o "$build/lib$name.a" 2>/dev/null
    }
    archive_flags=(-I Sources/CArchive
      $(pkg-config --cflags-only-I libarchive 2>/dev/null | sed 's/-I/-Xcc -I/g'))
    lib Minidump Sources/Minidump/*.swift
    lib KernelDump Sources/KernelDump/*.swift
    lib PEImage Sources/PEImage/*.swift
    lib PDB Sources/PDB/*.swift
    lib Symbols "${archive_flags[@]}" Sources/Symbols/*.swift
    lib Unwind "${archive_flags[@]}" Sources/Unwind/*.swift
    lib Crypto Fuzz/Support/CryptoStandIn.swift Fuzz/Support/MD5StandIn.swift
    swiftc "${flags[@]}" -I "$build" -L "$build" "${archive_flags[@]}" -module-name Analysis \
      Sources/Analysis/*.swift Fuzz/PipelineFuzzer.swift -lUnwind -lSymbols -lPDB -lPEImage \
      -lMinidump -lKernelDump -lCodeView -lCPUContexts -lByteReader -lCrypto -larchive \
      -o "$build/fuzz-pipeline" 2>/dev/null
    # The sample symbol store, copied once: the fuzzer names frames through it.
    [ -d "$build/pipeline-store" ] || cp -r samples/store "$build/pipeline-store"
    export CRASHSIFT_FUZZ_STORE=$PWD/$build/pipeline-store
    # Foundation's regular expressions, built once for the Socorro lists, are never freed: no leak
    # check, neither per input nor at exit (where it would fail a clean campaign).
    export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
    # Seeds: the corpus minidumps and kernel dumps, the sample dumps (inside the nightly
    # archives), kernel dumps of every kind from the dump writers, and every forge scenario.
    find "$corpus/minidump" "$corpus/kernel" -name '*.dmp' -size -1100k -exec cp {} "$out/corpus/" \;
    seeds=$(mktemp -d)
    for archive in samples/archives/*/*; do
      mkdir -p "$seeds/x" && bsdtar -xf "$archive" -C "$seeds/x" 2>/dev/null || true
      find "$seeds/x" -type f -name '*.dmp' -size -1100k | head -6 | while read -r f; do
        cp "$f" "$out/corpus/sample-$(basename "$(dirname "$archive")")-$(basename "$f")"
      done
      rm -rf "$seeds/x"
    done
    swift build --product crashsift-bench >/dev/null
    swift build --product crashsift >/dev/null
    bin=$(swift build --show-bin-path)
    "$bin/crashsift-bench" kernel-generate "$out/corpus/synthetic-bitmap.dmp" 1 >/dev/null
    "$bin/crashsift-bench" paging-generate "$out/corpus"
    "$bin/crashsift" forge samples/scenarios/*.json -o "$seeds/forge" >/dev/null
    find "$seeds/forge" -type f -name '*.dmp' -size -1100k | while read -r f; do
      cp "$f" "$out/corpus/forge-$(basename "$(dirname "$f")")-$(basename "$f")"
    done
    rm -rf "$seeds"
    ;;
  *) echo "unknown target $TARGET" >&2; exit 2 ;;
esac
"$build/fuzz-$TARGET" "$out/corpus" -max_total_time="$SECONDS_BUDGET" -max_len=1100000 \
  -rss_limit_mb=4096 -artifact_prefix="$out/findings/" -print_final_stats=1 >"$out/fuzz.log" 2>&1 \
  || { tail -40 "$out/fuzz.log"; exit 1; }
grep -E "^#[0-9]+" "$out/fuzz.log" | tail -1
grep -E "^stat::" "$out/fuzz.log"
echo "findings: $(find "$out/findings" -type f | wc -l) (in $out/findings)"
