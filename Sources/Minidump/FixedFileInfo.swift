import ByteReader

/// `VS_FIXEDFILEINFO` (13 u32) of a module.
public struct FixedFileInfo: Sendable, Equatable {
  public static let expectedSignature: UInt32 = 0xFEEF_04BD

  public var signature: UInt32
  public var structVersion: UInt32
  public var fileVersionHigh: UInt32
  public var fileVersionLow: UInt32
  public var productVersionHigh: UInt32
  public var productVersionLow: UInt32
  public var fileFlagsMask: UInt32
  public var fileFlags: UInt32
  public var fileOS: UInt32
  public var fileType: UInt32
  public var fileSubtype: UInt32
  public var fileDateHigh: UInt32
  public var fileDateLow: UInt32

  init(_ r: ByteReader, at offset: Int) throws(ParseError) {
    let w = "VS_FIXEDFILEINFO"
    signature = try r.u32(at: offset, w)
    structVersion = try r.u32(at: offset + 4, w)
    fileVersionHigh = try r.u32(at: offset + 8, w)
    fileVersionLow = try r.u32(at: offset + 12, w)
    productVersionHigh = try r.u32(at: offset + 16, w)
    productVersionLow = try r.u32(at: offset + 20, w)
    fileFlagsMask = try r.u32(at: offset + 24, w)
    fileFlags = try r.u32(at: offset + 28, w)
    fileOS = try r.u32(at: offset + 32, w)
    fileType = try r.u32(at: offset + 36, w)
    fileSubtype = try r.u32(at: offset + 40, w)
    fileDateHigh = try r.u32(at: offset + 44, w)
    fileDateLow = try r.u32(at: offset + 48, w)
  }

  /// `a.b.c.d` from the file version, when the signature is valid (breakpad's `version()`).
  public var fileVersion: String? {
    guard signature == Self.expectedSignature else { return nil }
    return
      "\(fileVersionHigh >> 16).\(fileVersionHigh & 0xFFFF).\(fileVersionLow >> 16).\(fileVersionLow & 0xFFFF)"
  }
}
