import ByteReader

/// x64 `UNWIND_INFO` with its codes (Microsoft "x64 exception handling"): how a function's
/// prologue changed RSP and saved registers.
public struct UnwindInfo: Sendable, Equatable {
  /// One `UNWIND_CODE` with the slots it consumes already folded in.
  public struct Code: Sendable, Equatable {
    public var codeOffset: UInt8
    public var operation: UInt8
    public var info: UInt8
    /// The extra operand (allocation size, stack offset) where the operation has one.
    public var operand: UInt32?
  }

  public static let pushNonVolatile: UInt8 = 0
  public static let allocLarge: UInt8 = 1
  public static let allocSmall: UInt8 = 2
  public static let setFramePointer: UInt8 = 3
  public static let saveNonVolatile: UInt8 = 4
  public static let saveNonVolatileFar: UInt8 = 5
  public static let epilog: UInt8 = 6
  public static let spareCode: UInt8 = 7
  public static let saveXMM128: UInt8 = 8
  public static let saveXMM128Far: UInt8 = 9
  public static let pushMachineFrame: UInt8 = 10

  public static let chainedFlag: UInt8 = 0x4

  public var version: UInt8
  public var flags: UInt8
  public var prologSize: UInt8
  public var frameRegister: UInt8
  public var frameOffset: UInt8
  public var codes: [Code]
  /// For chained info: the parent function (begin, end, unwind info RVA).
  public var chained: PERuntimeFunction?

  init(_ r: ByteReader) throws(ParseError) {
    let w = "UNWIND_INFO"
    let first = try r.u8(at: 0, w)
    version = first & 0x7
    flags = first >> 3
    guard version == 1 || version == 2 else {
      throw ParseError(w, offset: r.base, "version \(version) is not 1 or 2")
    }
    prologSize = try r.u8(at: 1, w)
    let count = Int(try r.u8(at: 2, w))
    let frame = try r.u8(at: 3, w)
    frameRegister = frame & 0xF
    frameOffset = frame >> 4
    var codes: [Code] = []
    var index = 0
    while index < count {
      let offset = 4 + index * 2
      let codeOffset = try r.u8(at: offset, w)
      let packed = try r.u8(at: offset + 1, w)
      let operation = packed & 0xF
      let info = packed >> 4
      var operand: UInt32?
      var slots = 1
      switch operation {
      case Self.allocLarge:
        if info == 0 {
          operand = UInt32(try r.u16(at: offset + 2, w)) * 8
          slots = 2
        } else {
          operand = try r.u32(at: offset + 2, w)
          slots = 3
        }
      case Self.allocSmall:
        operand = UInt32(info) * 8 + 8
      case Self.saveNonVolatile, Self.saveXMM128:
        operand = UInt32(try r.u16(at: offset + 2, w)) * (operation == Self.saveXMM128 ? 16 : 8)
        slots = 2
      case Self.saveNonVolatileFar, Self.saveXMM128Far:
        operand = try r.u32(at: offset + 2, w)
        slots = 3
      case Self.epilog:
        // Version 2 epilog descriptors occupy one slot each.
        slots = 1
      case Self.pushNonVolatile, Self.setFramePointer, Self.pushMachineFrame:
        break
      default:
        throw ParseError(w, offset: r.base + offset, "unknown unwind operation \(operation)")
      }
      codes.append(Code(codeOffset: codeOffset, operation: operation, info: info, operand: operand))
      index += slots
    }
    self.codes = codes
    if flags & Self.chainedFlag != 0 {
      // The parent RUNTIME_FUNCTION follows the codes, aligned to an even slot count.
      let start = 4 + ((count + 1) & ~1) * 2
      chained = PERuntimeFunction(
        begin: try r.u32(at: start, w), end: try r.u32(at: start + 4, w),
        unwindInfo: try r.u32(at: start + 8, w))
    } else {
      chained = nil
    }
  }

  /// Bytes the prologue moved RSP by (pushes and allocations, plus a machine frame), not counting
  /// the return address.
  public var stackAllocation: UInt64 {
    var total: UInt64 = 0
    for code in codes {
      switch code.operation {
      case Self.pushNonVolatile: total += 8
      case Self.allocLarge, Self.allocSmall: total += UInt64(code.operand ?? 0)
      case Self.pushMachineFrame: total += code.info == 0 ? 40 : 48
      default: break
      }
    }
    return total
  }
}
