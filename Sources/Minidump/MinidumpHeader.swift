import ByteReader

/// `MINIDUMP_HEADER` (32 bytes at offset 0; reference/minidump.md §2.1).
public struct MinidumpHeader: Sendable, Equatable {
  /// "MDMP" read as a little-endian u32.
  public static let signature: UInt32 = 0x504D_444D
  /// The defined low 16 bits of `version`; the high bits are implementation-specific.
  public static let versionLow: UInt32 = 0xA793

  public var version: UInt32
  public var streamCount: UInt32
  public var streamDirectoryRVA: UInt32
  public var checksum: UInt32
  public var timeDateStamp: UInt32
  public var flags: UInt64

  init(_ reader: ByteReader) throws(ParseError) {
    let signature = try reader.u32(at: 0, "minidump header")
    guard signature == Self.signature else {
      throw ParseError(
        "minidump header", offset: 0,
        "signature is 0x\(String(signature, radix: 16)), not MDMP (0x504d444d)")
    }
    version = try reader.u32(at: 4, "minidump header")
    guard version & 0xFFFF == Self.versionLow else {
      throw ParseError(
        "minidump header", offset: 4,
        "version 0x\(String(version, radix: 16)) does not end in 0xa793")
    }
    streamCount = try reader.u32(at: 8, "minidump header")
    streamDirectoryRVA = try reader.u32(at: 12, "minidump header")
    checksum = try reader.u32(at: 16, "minidump header")
    timeDateStamp = try reader.u32(at: 20, "minidump header")
    flags = try reader.u64(at: 24, "minidump header")
  }
}
