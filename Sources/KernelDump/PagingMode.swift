/// How a dump's virtual addresses translate to physical ones.
///
/// - `x64`: 4 levels of 512 8-byte entries; present bit 0; PS (bit 7) makes a 1 GiB or 2 MiB page.
/// - `arm64`: Windows' 4 KiB-granule, 48-bit layout: one table root (the header's
///   DirectoryTableBase) serves both halves, 4 levels indexed like x64; bit 0 valid, bit 1 clear
///   at levels 1 and 2 is a block (1 GiB / 2 MiB), output address bits 49:12 (ARM ARM D8.3;
///   MemProcFS `mm_arm64.c` reads Windows ARM64 memory the same way).
/// - `x86PAE`: a 4-entry PDPT (32-byte aligned) then 2 levels of 512 8-byte entries; PS gives 2 MiB.
/// - `x86`: 2 levels of 1,024 4-byte entries; PS gives 4 MiB (PSE-36 high bits ignored).
///
/// Entries that are not valid — including Windows' transition and prototype PTEs — are "not
/// present": a reader never guesses where a paged-out page went.
public enum PagingMode: String, Sendable, Equatable {
  case x64
  case arm64
  case x86PAE = "x86-pae"
  case x86

  /// The mode of a machine type, or `nil` when crashsift cannot translate for it.
  public static func of(machine: UInt32, paeEnabled: Bool?) -> PagingMode? {
    switch machine {
    case 0x8664: return .x64
    case 0xAA64: return .arm64
    case 0x14C: return paeEnabled == true ? .x86PAE : .x86
    default: return nil
    }
  }

  /// Bytes in a pointer of the dumped kernel.
  public var pointerSize: Int {
    switch self {
    case .x64, .arm64: return 8
    case .x86PAE, .x86: return 4
    }
  }

  /// The address as crashsift keeps it: 32-bit kernels' pointers, which KDDEBUGGER_DATA64 and
  /// triage data blocks store sign-extended, are cut to their 32 bits.
  public func canonical(_ address: UInt64) -> UInt64 {
    pointerSize == 4 ? address & 0xFFFF_FFFF : address
  }
}
