import ByteReader

/// `EXCEPTION_RECORD64` at header offset 0xF00 (or `EXCEPTION_RECORD32` at 0x7D0) (reference/kernel-dumps.md §1.8). In crash dumps it
/// is usually the breakpoint of KeBugCheckEx, not the original fault.
public struct KernelExceptionRecord: Sendable, Equatable {
  public var code: UInt32
  public var flags: UInt32
  public var record: UInt64
  public var address: UInt64
  public var numberParameters: UInt32
  public var parameters: [UInt64]

  init(_ r: ByteReader, at offset: Int) throws(ParseError) {
    let w = "EXCEPTION_RECORD64"
    code = try r.u32(at: offset, w)
    flags = try r.u32(at: offset + 4, w)
    record = try r.u64(at: offset + 8, w)
    address = try r.u64(at: offset + 0x10, w)
    numberParameters = try r.u32(at: offset + 0x18, w)
    var parameters: [UInt64] = []
    for index in 0..<Int(min(numberParameters, 15)) {
      parameters.append(try r.u64(at: offset + 0x20 + index * 8, w))
    }
    self.parameters = parameters
  }

  /// `EXCEPTION_RECORD32` (32-bit dumps, header offset 0x7D0): the same fields with u32 pointers
  /// and parameters, widened.
  init(record32 r: ByteReader, at offset: Int) throws(ParseError) {
    let w = "EXCEPTION_RECORD32"
    code = try r.u32(at: offset, w)
    flags = try r.u32(at: offset + 4, w)
    record = UInt64(try r.u32(at: offset + 8, w))
    address = UInt64(try r.u32(at: offset + 0xC, w))
    numberParameters = try r.u32(at: offset + 0x10, w)
    var parameters: [UInt64] = []
    for index in 0..<Int(min(numberParameters, 15)) {
      parameters.append(UInt64(try r.u32(at: offset + 0x14 + index * 4, w)))
    }
    self.parameters = parameters
  }
}
