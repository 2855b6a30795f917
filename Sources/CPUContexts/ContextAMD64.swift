import ByteReader

/// `CONTEXT` for AMD64 (1232 bytes; larger with XSTATE). Flags sit at 0x30, so the type is
/// recognised by size (reference/minidump.md §2.4).
public struct ContextAMD64: Sendable, Equatable {
  public static let size = 1232
  /// `CONTEXT_AMD64`.
  public static let cpuFlag: UInt32 = 0x0010_0000
  public static let control: UInt32 = 0x0010_0001
  public static let integer: UInt32 = 0x0010_0002
  public static let segments: UInt32 = 0x0010_0004
  public static let floatingPoint: UInt32 = 0x0010_0008
  public static let debugRegisters: UInt32 = 0x0010_0010

  public var contextFlags: UInt32
  public var mxCsr: UInt32
  public var cs, ds, es, fs, gs, ss: UInt16
  public var eflags: UInt32
  public var dr0, dr1, dr2, dr3, dr6, dr7: UInt64
  public var rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi: UInt64
  public var r8, r9, r10, r11, r12, r13, r14, r15: UInt64
  public var rip: UInt64

  /// Reads the context from `r` (at least `size` bytes; the rest, e.g. XSTATE, is ignored).
  public init(_ r: ByteReader) throws(ParseError) {
    let w = "AMD64 CONTEXT"
    guard r.count >= Self.size else {
      throw ParseError(w, offset: r.base, "is \(r.count) bytes, at least \(Self.size) expected")
    }
    contextFlags = try r.u32(at: 0x30, w)
    mxCsr = try r.u32(at: 0x34, w)
    cs = try r.u16(at: 0x38, w)
    ds = try r.u16(at: 0x3A, w)
    es = try r.u16(at: 0x3C, w)
    fs = try r.u16(at: 0x3E, w)
    gs = try r.u16(at: 0x40, w)
    ss = try r.u16(at: 0x42, w)
    eflags = try r.u32(at: 0x44, w)
    dr0 = try r.u64(at: 0x48, w)
    dr1 = try r.u64(at: 0x50, w)
    dr2 = try r.u64(at: 0x58, w)
    dr3 = try r.u64(at: 0x60, w)
    dr6 = try r.u64(at: 0x68, w)
    dr7 = try r.u64(at: 0x70, w)
    rax = try r.u64(at: 0x78, w)
    rcx = try r.u64(at: 0x80, w)
    rdx = try r.u64(at: 0x88, w)
    rbx = try r.u64(at: 0x90, w)
    rsp = try r.u64(at: 0x98, w)
    rbp = try r.u64(at: 0xA0, w)
    rsi = try r.u64(at: 0xA8, w)
    rdi = try r.u64(at: 0xB0, w)
    r8 = try r.u64(at: 0xB8, w)
    r9 = try r.u64(at: 0xC0, w)
    r10 = try r.u64(at: 0xC8, w)
    r11 = try r.u64(at: 0xD0, w)
    r12 = try r.u64(at: 0xD8, w)
    r13 = try r.u64(at: 0xE0, w)
    r14 = try r.u64(at: 0xE8, w)
    r15 = try r.u64(at: 0xF0, w)
    rip = try r.u64(at: 0xF8, w)
  }

  public func has(_ group: UInt32) -> Bool { contextFlags & group == group }
}
