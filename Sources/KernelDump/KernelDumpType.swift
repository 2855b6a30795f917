/// `DUMP_HEADER64.DumpType` (reference/kernel-dumps.md §1.3).
public struct KernelDumpType: RawRepresentable, Hashable, Sendable, Codable {
  public var rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }

  public static let full = Self(rawValue: 1)
  public static let summary = Self(rawValue: 2)
  public static let header = Self(rawValue: 3)
  public static let triage = Self(rawValue: 4)
  public static let bitmapFull = Self(rawValue: 5)
  public static let bitmapKernel = Self(rawValue: 6)
  public static let automatic = Self(rawValue: 7)
  /// dbgeng `.dump /k`, `/ka`, `/f` ('RDMP' layouts; names from kdmp-parser's `DumpType_t`).
  public static let kernelMemory = Self(rawValue: 8)
  public static let kernelAndUserMemory = Self(rawValue: 9)
  public static let completeMemory = Self(rawValue: 10)

  /// The name kdmp-parser and rizin use.
  public var name: String {
    switch rawValue {
    case 1: return "FULL"
    case 2: return "SUMMARY"
    case 3: return "HEADER"
    case 4: return "TRIAGE"
    case 5: return "BITMAP_FULL"
    case 6: return "BITMAP_KERNEL"
    case 7: return "AUTOMATIC"
    case 8: return "KERNEL_MEMORY"
    case 9: return "KERNEL_AND_USER_MEMORY"
    case 10: return "COMPLETE_MEMORY"
    default: return "UNKNOWN(\(rawValue))"
    }
  }

  /// WinDbg's banner for the type (reference/kernel-dumps.md §1.3, observed banners).
  public var banner: String {
    switch rawValue {
    case 1, 10: return "Kernel Complete Dump File: Full address space is available"
    case 2: return "Kernel Summary Dump File: Kernel address space is available"
    case 4: return "Mini Kernel Dump File: Only registers and stack trace are available"
    case 5, 6, 8, 9:
      return
        "Kernel Bitmap Dump File: Kernel address space is available, User address space may not be available."
    default: return "Kernel Dump File (type \(rawValue))"
    }
  }
}
