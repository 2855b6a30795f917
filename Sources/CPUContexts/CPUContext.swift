import ByteReader

/// A thread's register context, by CPU.
public enum CPUContext: Sendable, Equatable {
  case x86(ContextX86)
  case amd64(ContextAMD64)
  case arm64(ContextARM64)

  /// Reads a context, recognising its CPU the way breakpad does (`MinidumpContext::Read`): AMD64
  /// by size first (its flags are at 0x30), then by the CPU bits of the flags at offset 0.
  /// Contexts longer than the structure (XSTATE appended) are accepted.
  ///
  /// - Parameter architecture: SystemInfo's processor architecture, when known.
  public static func read(_ reader: ByteReader, architecture: ProcessorArchitecture?)
    throws(ParseError) -> CPUContext
  {
    let size = reader.count
    if size == ContextAMD64.size || (architecture == .amd64 && size > ContextAMD64.size) {
      let context = try ContextAMD64(reader)
      guard context.contextFlags & 0xFFFF_FF00 == ContextAMD64.cpuFlag || architecture == .amd64
      else {
        throw ParseError(
          "CPU context", offset: reader.base,
          "1232 bytes but flags 0x\(String(context.contextFlags, radix: 16)) are not AMD64's")
      }
      return .amd64(context)
    }
    let flags = try reader.u32(at: 0, "CPU context")
    switch flags & 0xFFFF_FF00 {
    case ContextX86.cpuFlag: return .x86(try ContextX86(reader))
    case ContextARM64.cpuFlag: return .arm64(try ContextARM64(reader))
    case 0x8000_0000:
      throw ParseError(
        "CPU context", offset: reader.base,
        "Breakpad's old ARM64 layout (CPU flag 0x80000000) is not supported")
    default:
      throw ParseError(
        "CPU context", offset: reader.base,
        "unknown CPU in flags 0x\(String(flags, radix: 16)) (\(size) bytes)")
    }
  }

  /// The instruction pointer, when the control registers are valid.
  public var instructionPointer: UInt64? {
    switch self {
    case .x86(let c): return c.has(ContextX86.control) ? UInt64(c.eip) : nil
    case .amd64(let c): return c.has(ContextAMD64.control) ? c.rip : nil
    case .arm64(let c): return c.has(ContextARM64.control) ? c.pc : nil
    }
  }

  /// The stack pointer, when the control registers are valid.
  public var stackPointer: UInt64? {
    switch self {
    case .x86(let c): return c.has(ContextX86.control) ? UInt64(c.esp) : nil
    case .amd64(let c): return c.has(ContextAMD64.control) ? c.rsp : nil
    case .arm64(let c): return c.has(ContextARM64.control) ? c.sp : nil
    }
  }

  /// The frame pointer (ebp, rbp, x29), when valid.
  public var framePointer: UInt64? {
    switch self {
    case .x86(let c): return c.has(ContextX86.control) ? UInt64(c.ebp) : nil
    case .amd64(let c): return c.has(ContextAMD64.integer) ? c.rbp : nil
    case .arm64(let c): return c.has(ContextARM64.integer) ? c.fp : nil
    }
  }

  /// The raw context flags.
  public var flags: UInt32 {
    switch self {
    case .x86(let c): return c.contextFlags
    case .amd64(let c): return c.contextFlags
    case .arm64(let c): return c.contextFlags
    }
  }
}
