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

  /// The fault context of `dump`, with the instruction pointer it restores: the one the bug
  /// check names; else (none named, or the dump lacks its memory) the trap frame on the stack
  /// whose machine frame restores the bug check's faulting address (`trapFrame(restoring:)`).
  /// Nil when there is neither.
  public static func faultContext(of dump: KernelDump) -> (Bucketer.FaultContext, UInt64)? {
    if let named = namedFaultContextRead(of: dump) { return named }
    let h = dump.header
    guard let index = BugCheckTable.faultingIPParameter(for: h.bugCheckCode),
      index < h.bugCheckParameters.count, let sp = dump.context?.stackPointer
    else { return nil }
    let ip = h.bugCheckParameters[index]
    return trapFrame(restoring: ip, in: dump, above: sp).map {
      (Bucketer.FaultContext(kind: "trap", address: $0), ip)
    }
  }

  /// Whether the bug check's context was named by a parameter rather than found on the stack.
  static func isNamed(_ context: Bucketer.FaultContext, in dump: KernelDump) -> Bool {
    let h = dump.header
    return namedFaultContext(code: h.bugCheckCode, parameters: h.bugCheckParameters) == context
  }

  /// How far above the bug check's stack pointer a machine frame is looked for: a kernel stack
  /// (KERNEL_STACK_SIZE, 24 KiB on x64).
  static let trapSearchLimit: UInt64 = 0x6000

  /// The x64 KTRAP_FRAME whose machine frame restores `ip`, found on the stack above `sp`: a slot
  /// holding `ip` followed by the kernel's CS (0x10), an RFLAGS with its always-set bit 1, a stack
  /// pointer above the slot and within the searched stack, and the kernel's SS (0x18, or 0), as
  /// the CPU pushed them; the trap frame starts 0x168 below the RIP slot (KTRAP_FRAME.Rip). This
  /// is how a fault's trap frame is found when the bug check names none (0xA, 0xD1, 0x50) and the
  /// walk cannot reach it, e.g. a triage dump whose kernel image is not in the symbol path.
  /// Nil for other architectures, a zero `ip`, or when no slot qualifies.
  public static func trapFrame(restoring ip: UInt64, in dump: KernelDump, above sp: UInt64)
    -> UInt64?
  {
    guard ip != 0, case .amd64? = dump.context, dump.header.is64Bit else { return nil }
    let start = sp & ~7
    let end = start &+ trapSearchLimit
    guard end > start else { return nil }
    // Page by page, up to the first page the dump lacks (a triage dump saves the stack only).
    var words: [UInt64] = []
    var page = start
    while page < end {
      let next = min(end, (page | 0xFFF) &+ 1)
      guard let bytes = try? dump.read(virtual: page, count: Int(next - page)) else { break }
      for offset in stride(from: 0, to: bytes.count - 7, by: 8) {
        words.append(le(Array(bytes[offset..<(offset + 8)])) ?? 0)
      }
      page = next
    }
    guard words.count >= 5 else { return nil }
    let stackEnd = start &+ UInt64(words.count * 8)
    for index in 0..<(words.count - 4) where words[index] == ip {
      let slot = start &+ UInt64(index * 8)
      let (cs, flags, rsp, ss) = (
        words[index + 1], words[index + 2], words[index + 3], words[index + 4]
      )
      guard cs == 0x10, flags & 2 != 0, flags >> 32 == 0, ss == 0x18 || ss == 0,
        rsp > slot &+ 0x20, rsp <= stackEnd, slot >= start &+ 0x168
      else { continue }
      return slot &- 0x168
    }
    return nil
  }

  /// The context the bug check names, when the dump holds it.
  static func namedFaultContextRead(of dump: KernelDump) -> (Bucketer.FaultContext, UInt64)? {
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
