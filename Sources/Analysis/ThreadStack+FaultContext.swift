import ByteReader
import CPUContexts
import KernelDump

extension ThreadStack {
  /// The fault context a bug check names by its parameters, as `!analyze` switches to it:
  /// a trap frame (0x139 P2, 0x8E/0x1000008E P3) or a context record (0x7E/0x1000007E P4,
  /// 0x3B P3). Parameter meanings from the per-code pages of MicrosoftDocs/windows-driver-docs
  /// (reference/kernel-dumps.md §2.3). Nil for other codes and for null parameters.
  public static func namedFaultContext(code: UInt32, parameters: [UInt64]) -> Bucketer
    .FaultContext?
  {
    let (kind, index): (String, Int)
    switch code & ~0x1000_0000 {
    case 0x139: (kind, index) = ("trap", 1)
    case 0x8E: (kind, index) = ("trap", 2)
    case 0x7E: (kind, index) = ("cxr", 3)
    case 0x3B: (kind, index) = ("cxr", 2)
    default: return nil
    }
    guard index < parameters.count, parameters[index] != 0 else { return nil }
    return Bucketer.FaultContext(kind: kind, address: parameters[index])
  }

  /// The named fault context of `dump`, with the instruction pointer it restores; nil when the
  /// bug check names none or the dump lacks its memory.
  public static func faultContext(of dump: KernelDump) -> (Bucketer.FaultContext, UInt64)? {
    let h = dump.header
    guard
      let named = namedFaultContext(code: h.bugCheckCode, parameters: h.bugCheckParameters)
    else { return nil }
    switch named.kind {
    case "trap":
      let ip: UInt64?
      if h.is64Bit {
        ip = (try? dump.read(virtual: named.address &+ 0x168, count: 8)).flatMap(Self.le)
      } else {
        ip = (try? dump.read(virtual: named.address &+ 0x68, count: 4)).flatMap(Self.le)
      }
      return ip.map { (named, $0) }
    default:
      guard let context = contextRecord(dump, at: named.address) else { return nil }
      switch context {
      case .amd64(let c): return (named, c.rip)
      case .x86(let c): return (named, UInt64(c.eip))
      case .arm64(let c): return (named, c.pc)
      }
    }
  }

  /// A CONTEXT record in dump memory, of the dump's CPU.
  static func contextRecord(_ dump: KernelDump, at address: UInt64) -> CPUContext? {
    let size: Int
    switch dump.context {
    case .amd64?: size = ContextAMD64.size
    case .x86?: size = ContextX86.size
    case .arm64?: size = ContextARM64.size
    case nil: return nil
    }
    guard let bytes = try? dump.read(virtual: address, count: size) else { return nil }
    let reader = MappedFile(copying: bytes, label: "context record").reader
    switch dump.context {
    case .amd64?: return (try? ContextAMD64(reader)).map { .amd64($0) }
    case .x86?: return (try? ContextX86(reader)).map { .x86($0) }
    case .arm64?: return (try? ContextARM64(reader)).map { .arm64($0) }
    case nil: return nil
    }
  }

  static func le(_ bytes: [UInt8]) -> UInt64? {
    guard bytes.count == 4 || bytes.count == 8 else { return nil }
    var value: UInt64 = 0
    for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
    return value
  }
}
