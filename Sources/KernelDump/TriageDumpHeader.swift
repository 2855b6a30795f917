import ByteReader

/// `TRIAGE_DUMP64` at 0x2000 (reference/kernel-dumps.md §1.7), or `TRIAGE_DUMP32` at 0x1000.
/// Every offset is absolute in the file.
public struct TriageDumpHeader: Sendable, Equatable {
  public static let offset = 0x2000
  /// 'TRGD' at `validOffset`.
  public static let validMarker: UInt32 = 0x4447_5254

  public var servicePackBuild: UInt32
  public var sizeOfDump: UInt32
  public var validOffset: UInt32
  public var contextOffset: UInt32
  public var exceptionOffset: UInt32
  public var mmOffset: UInt32
  public var unloadedDriversOffset: UInt32
  public var prcbOffset: UInt32
  public var processOffset: UInt32
  public var threadOffset: UInt32
  public var callStackOffset: UInt32
  public var sizeOfCallStack: UInt32
  public var driverListOffset: UInt32
  public var driverCount: UInt32
  public var stringPoolOffset: UInt32
  public var stringPoolSize: UInt32
  public var brokenDriverOffset: UInt32
  public var triageOptions: UInt32
  public var topOfStack: UInt64
  public var dataPageAddress: UInt64
  public var dataPageOffset: UInt32
  public var dataPageSize: UInt32
  public var debuggerDataOffset: UInt32
  public var debuggerDataSize: UInt32
  public var dataBlocksOffset: UInt32
  public var dataBlocksCount: UInt32
  /// Whether the 'TRGD' marker is where `validOffset` says (the dump was completely written).
  public var isValid: Bool

  /// `TRIAGE_DUMP32` at 0x1000 (0x68 bytes; ntiodump.h): the 64-bit fields up to TriageOptions,
  /// then TopOfStack and DataPageAddress as u32 and no IA64 block.
  public var is64Bit: Bool

  init(_ r: ByteReader, is64Bit: Bool = true) throws(ParseError) {
    let w = is64Bit ? "TRIAGE_DUMP64" : "TRIAGE_DUMP32"
    let o = is64Bit ? Self.offset : 0x1000
    self.is64Bit = is64Bit
    servicePackBuild = try r.u32(at: o, w)
    sizeOfDump = try r.u32(at: o + 0x04, w)
    validOffset = try r.u32(at: o + 0x08, w)
    contextOffset = try r.u32(at: o + 0x0C, w)
    exceptionOffset = try r.u32(at: o + 0x10, w)
    mmOffset = try r.u32(at: o + 0x14, w)
    unloadedDriversOffset = try r.u32(at: o + 0x18, w)
    prcbOffset = try r.u32(at: o + 0x1C, w)
    processOffset = try r.u32(at: o + 0x20, w)
    threadOffset = try r.u32(at: o + 0x24, w)
    callStackOffset = try r.u32(at: o + 0x28, w)
    sizeOfCallStack = try r.u32(at: o + 0x2C, w)
    driverListOffset = try r.u32(at: o + 0x30, w)
    driverCount = try r.u32(at: o + 0x34, w)
    stringPoolOffset = try r.u32(at: o + 0x38, w)
    stringPoolSize = try r.u32(at: o + 0x3C, w)
    brokenDriverOffset = try r.u32(at: o + 0x40, w)
    triageOptions = try r.u32(at: o + 0x44, w)
    if is64Bit {
      topOfStack = try r.u64(at: o + 0x48, w)
      dataPageAddress = try r.u64(at: o + 0x60, w)
      dataPageOffset = try r.u32(at: o + 0x68, w)
      dataPageSize = try r.u32(at: o + 0x6C, w)
      debuggerDataOffset = try r.u32(at: o + 0x70, w)
      debuggerDataSize = try r.u32(at: o + 0x74, w)
      dataBlocksOffset = try r.u32(at: o + 0x78, w)
      dataBlocksCount = try r.u32(at: o + 0x7C, w)
    } else {
      topOfStack = UInt64(try r.u32(at: o + 0x48, w))
      dataPageAddress = UInt64(try r.u32(at: o + 0x4C, w))
      dataPageOffset = try r.u32(at: o + 0x50, w)
      dataPageSize = try r.u32(at: o + 0x54, w)
      debuggerDataOffset = try r.u32(at: o + 0x58, w)
      debuggerDataSize = try r.u32(at: o + 0x5C, w)
      dataBlocksOffset = try r.u32(at: o + 0x60, w)
      dataBlocksCount = try r.u32(at: o + 0x64, w)
    }
    isValid = (try? r.u32(at: Int(validOffset), w)) == Self.validMarker
  }
}
