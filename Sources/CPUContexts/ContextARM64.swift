import ByteReader

/// `CONTEXT` for ARM64 in Microsoft's layout (912 bytes; reference/minidump.md §2.4).
public struct ContextARM64: Sendable, Equatable {
  public static let size = 912
  /// `CONTEXT_ARM64`.
  public static let cpuFlag: UInt32 = 0x0040_0000
  public static let control: UInt32 = 0x0040_0001
  public static let integer: UInt32 = 0x0040_0002
  public static let floatingPoint: UInt32 = 0x0040_0004

  public var contextFlags: UInt32
  public var cpsr: UInt32
  /// x0–x28, then fp (x29) and lr (x30).
  public var x: [UInt64]
  public var sp: UInt64
  public var pc: UInt64
  public var fpcr: UInt32
  public var fpsr: UInt32

  /// Reads the context from `r` (at least `size` bytes; the rest, e.g. XSTATE, is ignored).
  public init(_ r: ByteReader) throws(ParseError) {
    let w = "ARM64 CONTEXT"
    guard r.count >= Self.size else {
      throw ParseError(w, offset: r.base, "is \(r.count) bytes, at least \(Self.size) expected")
    }
    contextFlags = try r.u32(at: 0, w)
    cpsr = try r.u32(at: 4, w)
    var registers: [UInt64] = []
    registers.reserveCapacity(31)
    for index in 0..<31 { registers.append(try r.u64(at: 8 + index * 8, w)) }
    x = registers
    sp = try r.u64(at: 0x100, w)
    pc = try r.u64(at: 0x108, w)
    fpcr = try r.u32(at: 0x310, w)
    fpsr = try r.u32(at: 0x314, w)
  }

  public var fp: UInt64 { x[29] }
  public var lr: UInt64 { x[30] }

  public func has(_ group: UInt32) -> Bool { contextFlags & group == group }
}
