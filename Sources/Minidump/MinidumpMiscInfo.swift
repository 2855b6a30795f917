import ByteReader

/// The MiscInfo stream, versions 1–5 told apart by `sizeOfInfo` (24, 44, 232, 832, 1364;
/// reference/minidump.md §2.2). Fields are present only when the size covers them and `flags1`
/// marks them valid.
public struct MinidumpMiscInfo: Sendable, Equatable {
  public static let processIDValid: UInt32 = 0x1
  public static let processTimesValid: UInt32 = 0x2
  public static let powerInfoValid: UInt32 = 0x4
  public static let integrityValid: UInt32 = 0x10
  public static let executeFlagsValid: UInt32 = 0x20
  public static let timeZoneValid: UInt32 = 0x40
  public static let protectedProcessValid: UInt32 = 0x80
  public static let buildStringValid: UInt32 = 0x100
  public static let processCookieValid: UInt32 = 0x200

  public var sizeOfInfo: UInt32
  public var flags1: UInt32
  public var processID: UInt32?
  public var processCreateTime: UInt32?
  public var processUserTime: UInt32?
  public var processKernelTime: UInt32?
  public var processorMaxMhz: UInt32?
  public var processorCurrentMhz: UInt32?
  public var processIntegrityLevel: UInt32?
  public var processExecuteFlags: UInt32?
  public var protectedProcess: UInt32?
  public var timeZoneID: UInt32?
  /// e.g. `22000.1.amd64fre.co_release.210604-1628` (v4+).
  public var buildString: String?
  public var debugBuildString: String?
  public var processCookie: UInt32?

  init(_ r: ByteReader) throws(ParseError) {
    let w = "MiscInfo stream"
    sizeOfInfo = try r.u32(at: 0, w)
    flags1 = try r.u32(at: 4, w)
    let size = min(Int(sizeOfInfo), r.count)
    guard size >= 24 else {
      throw ParseError(w, offset: r.base, "size_of_info \(sizeOfInfo) is below the v1 size 24")
    }
    let flags = flags1
    func field(_ offset: Int, _ flag: UInt32) throws(ParseError) -> UInt32? {
      guard size >= offset + 4, flags & flag != 0 else { return nil }
      return try r.u32(at: offset, w)
    }
    processID = try field(8, Self.processIDValid)
    processCreateTime = try field(12, Self.processTimesValid)
    processUserTime = try field(16, Self.processTimesValid)
    processKernelTime = try field(20, Self.processTimesValid)
    processorMaxMhz = try field(24, Self.powerInfoValid)
    processorCurrentMhz = try field(28, Self.powerInfoValid)
    processIntegrityLevel = try field(44, Self.integrityValid)
    processExecuteFlags = try field(48, Self.executeFlagsValid)
    protectedProcess = try field(52, Self.protectedProcessValid)
    timeZoneID = try field(56, Self.timeZoneValid)
    if size >= 832 && flags & Self.buildStringValid != 0 {
      buildString = try MinidumpString.fixed(r, at: 232, units: 260, w)
      debugBuildString = try MinidumpString.fixed(r, at: 752, units: 40, w)
    }
    processCookie = try field(1360, Self.processCookieValid)
  }
}
