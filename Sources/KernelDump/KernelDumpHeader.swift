import ByteReader

/// `DUMP_HEADER64` (0x2000 bytes at offset 0; reference/kernel-dumps.md §1.1).
///
/// Unused header fields hold the 'PAGE' fill (0x45474150, or 0x4547415045474150 for 64-bit
/// fields): such fields are `nil`, never a value (§1.2).
public struct KernelDumpHeader: Sendable, Equatable {
  public static let size = 0x2000
  static let fill32: UInt32 = 0x4547_4150
  static let fill64: UInt64 = 0x4547_4150_4547_4150

  public var majorVersion: UInt32
  /// The NT build number (0x4A61 = 19041).
  public var minorVersion: UInt32
  /// Kernel CR3 with the PCID bits (low 12) masked off.
  public var directoryTableBase: UInt64?
  public var pfnDataBase: UInt64?
  public var psLoadedModuleList: UInt64?
  public var psActiveProcessHead: UInt64?
  /// 0x8664 x64, 0xAA64 ARM64.
  public var machineImageType: UInt32
  public var numberProcessors: UInt32
  public var bugCheckCode: UInt32
  public var bugCheckParameters: [UInt64]
  public var kdDebuggerDataBlock: UInt64?
  public var dumpType: KernelDumpType
  public var requiredDumpSpace: UInt64?
  /// FILETIME: 100 ns units since 1601-01-01.
  public var systemTime: UInt64?
  /// 100 ns units since boot.
  public var systemUpTime: UInt64?
  public var miniDumpFields: UInt32?
  public var secondaryDataState: UInt32?
  public var productType: UInt32?
  public var suiteMask: UInt32?
  public var writerStatus: UInt32?
  public var kdSecondaryVersion: UInt8
  public var attributes: UInt32?
  public var bootID: UInt32?
  /// The ASCII comment (LiveKD, elf2dmp write one), when not fill.
  public var comment: String?
  /// `PAGEDU64` (true) or the 32-bit `PAGEDUMP` layout (false).
  public var is64Bit = true
  /// 32-bit dumps only: whether the machine used PAE page tables.
  public var paeEnabled: Bool?

  /// A u32 field, `nil` when it holds the 'PAGE' fill.
  static func unfilled32(_ r: ByteReader, _ offset: Int, _ what: String) throws(ParseError)
    -> UInt32?
  {
    let value = try r.u32(at: offset, what)
    return value == fill32 ? nil : value
  }

  /// A u64 field, `nil` when it holds the 'PAGE' fill.
  static func unfilled64(_ r: ByteReader, _ offset: Int, _ what: String) throws(ParseError)
    -> UInt64?
  {
    let value = try r.u64(at: offset, what)
    return value == fill64 ? nil : value
  }

  /// Reads a `PAGEDU64` or `PAGEDUMP` header.
  static func read(_ r: ByteReader) throws(ParseError) -> KernelDumpHeader {
    if r.count >= 8, try r.u32(at: 0, "dump header") == fill32,
      try r.u32(at: 4, "dump header") == 0x504D_5544
    {
      return try KernelDumpHeader(header32: r)
    }
    return try KernelDumpHeader(header64: r)
  }

  init(header64 r: ByteReader) throws(ParseError) {
    let w = "DUMP_HEADER64"
    guard r.count >= Self.size else {
      throw ParseError(
        w, offset: 0, "the file is \(r.count) bytes; a 64-bit kernel dump header is 0x2000")
    }
    guard try r.u32(at: 0, w) == Self.fill32, try r.u32(at: 4, w) == 0x3436_5544 else {
      throw ParseError(w, offset: 0, "signature is not PAGEDU64")
    }
    func opt32(_ offset: Int) throws(ParseError) -> UInt32? { try Self.unfilled32(r, offset, w) }
    func opt64(_ offset: Int) throws(ParseError) -> UInt64? { try Self.unfilled64(r, offset, w) }
    majorVersion = try r.u32(at: 0x08, w)
    minorVersion = try r.u32(at: 0x0C, w)
    directoryTableBase = try opt64(0x10).map { $0 & ~0xFFF }
    pfnDataBase = try opt64(0x18)
    psLoadedModuleList = try opt64(0x20)
    psActiveProcessHead = try opt64(0x28)
    machineImageType = try r.u32(at: 0x30, w)
    numberProcessors = try r.u32(at: 0x34, w)
    bugCheckCode = try r.u32(at: 0x38, w)
    bugCheckParameters = [
      try r.u64(at: 0x40, w), try r.u64(at: 0x48, w), try r.u64(at: 0x50, w),
      try r.u64(at: 0x58, w),
    ]
    kdDebuggerDataBlock = try opt64(0x80)
    dumpType = KernelDumpType(rawValue: try r.u32(at: 0xF98, w))
    requiredDumpSpace = try opt64(0xFA0)
    systemTime = try opt64(0xFA8)
    let commentText = try r.cString(at: 0xFB0, maxLength: 128, w)
    comment = commentText.isEmpty || commentText.hasPrefix("PAGEPAGE") ? nil : commentText
    systemUpTime = try opt64(0x1030)
    miniDumpFields = try opt32(0x1038)
    secondaryDataState = try opt32(0x103C)
    productType = try opt32(0x1040)
    suiteMask = try opt32(0x1044)
    writerStatus = try opt32(0x1048)
    kdSecondaryVersion = try r.u8(at: 0x104D, w)
    attributes = try opt32(0x1050)
    bootID = try opt32(0x1054)
  }

  /// `DUMP_HEADER32` (0x1000 bytes; reference/kernel-dumps.md §1.9), widened to the same fields.
  init(header32 r: ByteReader) throws(ParseError) {
    let w = "DUMP_HEADER32"
    guard r.count >= 0x1000 else {
      throw ParseError(
        w, offset: 0, "the file is \(r.count) bytes; a 32-bit kernel dump header is 0x1000")
    }
    func opt32(_ offset: Int) throws(ParseError) -> UInt32? { try Self.unfilled32(r, offset, w) }
    func opt64(_ offset: Int) throws(ParseError) -> UInt64? { try Self.unfilled64(r, offset, w) }
    is64Bit = false
    majorVersion = try r.u32(at: 0x08, w)
    minorVersion = try r.u32(at: 0x0C, w)
    directoryTableBase = try opt32(0x10).map { UInt64($0) & ~0x1F }
    pfnDataBase = try opt32(0x14).map(UInt64.init)
    psLoadedModuleList = try opt32(0x18).map(UInt64.init)
    psActiveProcessHead = try opt32(0x1C).map(UInt64.init)
    machineImageType = try r.u32(at: 0x20, w)
    numberProcessors = try r.u32(at: 0x24, w)
    bugCheckCode = try r.u32(at: 0x28, w)
    bugCheckParameters = [
      UInt64(try r.u32(at: 0x2C, w)), UInt64(try r.u32(at: 0x30, w)),
      UInt64(try r.u32(at: 0x34, w)),
      UInt64(try r.u32(at: 0x38, w)),
    ]
    paeEnabled = try r.u8(at: 0x5C, w) != 0
    kdSecondaryVersion = try r.u8(at: 0x5D, w)
    kdDebuggerDataBlock = try opt32(0x60).map(UInt64.init)
    let commentText = try r.cString(at: 0x820, maxLength: 128, w)
    comment = commentText.isEmpty || commentText.hasPrefix("PAGEPAGE") ? nil : commentText
    attributes = try opt32(0x8A0)
    bootID = try opt32(0x8A4)
    dumpType = KernelDumpType(rawValue: try r.u32(at: 0xF88, w))
    miniDumpFields = try opt32(0xF8C)
    secondaryDataState = try opt32(0xF90)
    productType = try opt32(0xF94)
    suiteMask = try opt32(0xF98)
    writerStatus = try opt32(0xF9C)
    requiredDumpSpace = try opt64(0xFA0)
    systemUpTime = try opt64(0xFB8)
    systemTime = try opt64(0xFC0)
  }

  /// "x64", "ARM64", or the machine type in hex.
  public var machineName: String {
    switch machineImageType {
    case 0x8664: return "x64"
    case 0xAA64: return "ARM64"
    case 0x14C: return "x86"
    default: return "0x\(String(machineImageType, radix: 16))"
    }
  }
}
