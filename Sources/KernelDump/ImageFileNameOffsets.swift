/// Where `EPROCESS.ImageFileName` (UCHAR[15]) lies on public Windows kernels, for dumps whose nt
/// PDB is not at hand. The offset is not in KDDEBUGGER_DATA64, so it comes from the kernels' type
/// information as published by independent PDB-derived listings (sources per row; the build
/// ranges are those where every listed build has the same value):
/// - GC: Geoff Chappell, "EPROCESS" (studies/windows/km/ntoskrnl/inc/ntos/ps/eprocess).
/// - HVMI: bitdefender/hvmi `cami/sources/windows/opaque_fields/km/windows_<build>_<arch>_*.yaml`.
/// - KE: supermanc88/KeyboardEncrypt `Win*_x86.h`/`Win*_x64.h` (WinDbg `dt _EPROCESS` listings).
/// - NTDIFF: ntdiff/headers (pdbex output of Microsoft's PDBs), Win11 24H2 x64/ARM64, Win10 1507 x86.
/// - REF: reference/kernel-dumps.md §2.4 (scanned from the corpus' x64 19041 and ARM64 22000
///   triage dumps).
/// - VERG: The Vergilius Project kernel structure pages.
/// A row resting on one source is marked; the name read through it is checked (printable, not
/// empty) before it is shown, so a wrong offset gives "unknown", never garbage.
enum ImageFileNameOffsets {
  struct Entry {
    var machine: UInt32
    var builds: ClosedRange<UInt32>
    var offset: Int
  }

  static let entries: [Entry] = [
    Entry(machine: 0x8664, builds: 7600...7601, offset: 0x2E0),  // GC, HVMI, KE
    Entry(machine: 0x8664, builds: 9200...9600, offset: 0x438),  // GC, KE
    Entry(machine: 0x8664, builds: 10240...10240, offset: 0x448),  // GC, code using VERG
    Entry(machine: 0x8664, builds: 10586...18363, offset: 0x450),  // GC, KE, HVMI (17763)
    Entry(machine: 0x8664, builds: 19041...19045, offset: 0x5A8),  // GC, KE, REF
    Entry(machine: 0x8664, builds: 22000...22631, offset: 0x5A8),  // VERG copies only
    Entry(machine: 0x8664, builds: 26100...26100, offset: 0x338),  // NTDIFF, two PDB extracts
    Entry(machine: 0x14C, builds: 7600...7601, offset: 0x16C),  // GC, HVMI
    Entry(machine: 0x14C, builds: 9200...10240, offset: 0x170),  // GC, KE, NTDIFF
    Entry(machine: 0x14C, builds: 10586...14393, offset: 0x174),  // GC, KE
    Entry(machine: 0x14C, builds: 15063...18363, offset: 0x17C),  // GC, KE, HVMI (17763)
    Entry(machine: 0x14C, builds: 19041...19045, offset: 0x1AC),  // KE only
    Entry(machine: 0xAA64, builds: 22000...22000, offset: 0x560),  // REF, an ARM64 pdbex header
    Entry(machine: 0xAA64, builds: 26100...26100, offset: 0x328),  // NTDIFF only
  ]

  /// The offset for a machine (IMAGE_FILE_MACHINE_*) and build, nil when no row covers it.
  static func offset(machine: UInt32, build: UInt32) -> Int? {
    entries.first { $0.machine == machine && $0.builds.contains(build) }?.offset
  }

  /// The name as stored (NUL-terminated ASCII), nil unless it looks like a file name.
  static func name(_ bytes: [UInt8]) -> String? {
    let text = bytes.prefix { $0 != 0 }
    guard !text.isEmpty, text.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
    return String(decoding: text, as: UTF8.self)
  }
}
