import ByteReader

/// `CONTEXT` for x86 (716 bytes; larger when XSTATE follows). Offsets: reference/minidump.md §2.4.
public struct ContextX86: Sendable, Equatable {
  public static let size = 716
  /// `CONTEXT_i386`.
  public static let cpuFlag: UInt32 = 0x0001_0000
  public static let control: UInt32 = 0x0001_0001
  public static let integer: UInt32 = 0x0001_0002
  public static let segments: UInt32 = 0x0001_0004
  public static let floatingPoint: UInt32 = 0x0001_0008
  public static let debugRegisters: UInt32 = 0x0001_0010
  public static let extendedRegisters: UInt32 = 0x0001_0020

  public var contextFlags: UInt32
  public var dr0, dr1, dr2, dr3, dr6, dr7: UInt32
  public var floatControlWord, floatStatusWord, floatTagWord: UInt32
  public var floatErrorOffset, floatErrorSelector, floatDataOffset, floatDataSelector: UInt32
  public var floatRegisterArea: [UInt8]
  public var floatCr0NpxState: UInt32
  public var gs, fs, es, ds: UInt32
  public var edi, esi, ebx, edx, ecx, eax: UInt32
  public var ebp, eip, cs, eflags, esp, ss: UInt32
  public var extendedRegisters: [UInt8]

  /// Reads the context from `r` (at least `size` bytes; the rest, e.g. XSTATE, is ignored).
  public init(_ r: ByteReader) throws(ParseError) {
    let w = "x86 CONTEXT"
    guard r.count >= Self.size else {
      throw ParseError(w, offset: r.base, "is \(r.count) bytes, at least \(Self.size) expected")
    }
    contextFlags = try r.u32(at: 0x00, w)
    dr0 = try r.u32(at: 0x04, w)
    dr1 = try r.u32(at: 0x08, w)
    dr2 = try r.u32(at: 0x0C, w)
    dr3 = try r.u32(at: 0x10, w)
    dr6 = try r.u32(at: 0x14, w)
    dr7 = try r.u32(at: 0x18, w)
    floatControlWord = try r.u32(at: 0x1C, w)
    floatStatusWord = try r.u32(at: 0x20, w)
    floatTagWord = try r.u32(at: 0x24, w)
    floatErrorOffset = try r.u32(at: 0x28, w)
    floatErrorSelector = try r.u32(at: 0x2C, w)
    floatDataOffset = try r.u32(at: 0x30, w)
    floatDataSelector = try r.u32(at: 0x34, w)
    floatRegisterArea = try r.array(at: 0x38, count: 80, w)
    floatCr0NpxState = try r.u32(at: 0x88, w)
    gs = try r.u32(at: 0x8C, w)
    fs = try r.u32(at: 0x90, w)
    es = try r.u32(at: 0x94, w)
    ds = try r.u32(at: 0x98, w)
    edi = try r.u32(at: 0x9C, w)
    esi = try r.u32(at: 0xA0, w)
    ebx = try r.u32(at: 0xA4, w)
    edx = try r.u32(at: 0xA8, w)
    ecx = try r.u32(at: 0xAC, w)
    eax = try r.u32(at: 0xB0, w)
    ebp = try r.u32(at: 0xB4, w)
    eip = try r.u32(at: 0xB8, w)
    cs = try r.u32(at: 0xBC, w)
    eflags = try r.u32(at: 0xC0, w)
    esp = try r.u32(at: 0xC4, w)
    ss = try r.u32(at: 0xC8, w)
    extendedRegisters = try r.array(at: 0xCC, count: 512, w)
  }

  /// Whether the flags mark a register group valid (`CONTEXT_CONTROL` and so on).
  public func has(_ group: UInt32) -> Bool { contextFlags & group == group }
}
