import ByteReader

/// `EXCEPTION_RECORD64` at header offset 0xF00 (reference/kernel-dumps.md §1.8). In crash dumps it
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
}
