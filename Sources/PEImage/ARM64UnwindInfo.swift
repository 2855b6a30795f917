import ByteReader

/// An ARM64 `.xdata` record (Microsoft "ARM64 exception handling"): function length, epilog
/// scopes and the unwind code bytes, which the unwinder interprets.
public struct ARM64UnwindInfo: Sendable, Equatable {
  public struct EpilogScope: Sendable, Equatable {
    /// Offset of the epilog from the function start, in bytes.
    public var start: UInt32
    /// Index of the epilog's first unwind code.
    public var codeIndex: Int
  }

  public var functionLength: UInt32
  public var version: UInt32
  public var hasExceptionData: Bool
  /// E: one epilog, described by the codes from `singleEpilogIndex`, and no scope list.
  public var singleEpilog: Bool
  public var singleEpilogIndex: Int
  public var epilogs: [EpilogScope]
  public var codes: [UInt8]

  /// At most this many code words (the format's extended maximum is 255).
  static let maxCodeWords = 255

  init(_ r: ByteReader) throws(ParseError) {
    let w = "ARM64 .xdata"
    let header = try r.u32(at: 0, w)
    functionLength = (header & 0x3_FFFF) * 4
    version = (header >> 18) & 3
    hasExceptionData = (header >> 20) & 1 == 1
    singleEpilog = (header >> 21) & 1 == 1
    var epilogCount = Int((header >> 22) & 0x1F)
    var codeWords = Int(header >> 27)
    var offset = 4
    if epilogCount == 0 && codeWords == 0 {
      let extended = try r.u32(at: 4, w)
      epilogCount = Int(extended & 0xFFFF)
      codeWords = Int((extended >> 16) & 0xFF)
      offset = 8
    }
    guard version == 0 else { throw ParseError(w, offset: r.base, "version \(version) is not 0") }
    guard codeWords <= Self.maxCodeWords else {
      throw ParseError(w, offset: r.base, "\(codeWords) code words")
    }
    var epilogs: [EpilogScope] = []
    singleEpilogIndex = singleEpilog ? epilogCount : 0
    if !singleEpilog {
      guard epilogCount <= 0xFFFF else { throw ParseError(w, offset: r.base, "too many epilogs") }
      epilogs.reserveCapacity(min(epilogCount, 1024))
      for index in 0..<epilogCount {
        let scope = try r.u32(at: offset + index * 4, w)
        epilogs.append(EpilogScope(start: (scope & 0x3_FFFF) * 4, codeIndex: Int(scope >> 22)))
      }
      offset += epilogCount * 4
    }
    self.epilogs = epilogs
    codes = Array(try r.bytes(at: offset, count: codeWords * 4, w))
  }
}
