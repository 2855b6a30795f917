/// `SystemInfo.ProcessorArchitecture` (`PROCESSOR_ARCHITECTURE_*`; Breakpad adds values ≥ 0x8000).
public struct ProcessorArchitecture: RawRepresentable, Hashable, Sendable {
  public var rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  public static let x86 = Self(rawValue: 0)
  public static let mips = Self(rawValue: 1)
  public static let alpha = Self(rawValue: 2)
  public static let ppc = Self(rawValue: 3)
  public static let shx = Self(rawValue: 4)
  public static let arm = Self(rawValue: 5)
  public static let ia64 = Self(rawValue: 6)
  public static let alpha64 = Self(rawValue: 7)
  public static let msil = Self(rawValue: 8)
  public static let amd64 = Self(rawValue: 9)
  public static let x86OnWin64 = Self(rawValue: 10)
  public static let arm64 = Self(rawValue: 12)
  public static let sparc = Self(rawValue: 0x8001)
  public static let ppc64 = Self(rawValue: 0x8002)
  public static let arm64Old = Self(rawValue: 0x8003)
  public static let mips64 = Self(rawValue: 0x8004)
  public static let unknown = Self(rawValue: 0xFFFF)

  /// The name breakpad prints (`x86`, `amd64`, `arm64`, …).
  public var name: String {
    switch self {
    case .x86, .x86OnWin64: return "x86"
    case .amd64: return "amd64"
    case .arm: return "arm"
    case .arm64, .arm64Old: return "arm64"
    case .mips: return "mips"
    case .mips64: return "mips64"
    case .ppc: return "ppc"
    case .ppc64: return "ppc64"
    case .sparc: return "sparc"
    case .ia64: return "ia64"
    default: return "unknown"
    }
  }

  /// Whether addresses are 32 bits wide (breakpad masks crash addresses for these).
  public var is32Bit: Bool {
    [.x86, .arm, .mips, .ppc, .shx, .x86OnWin64].contains(self)
  }
}
