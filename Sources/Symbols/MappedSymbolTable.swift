import ByteReader

/// A symbol table answered straight from its mapped archive (`SymbolTableArchive`, format 4): the
/// records are read where they lie, so a table derived from a 400 MB PDB costs the pages its
/// lookups touch instead of the ~190 MB its arrays would take, and two workers using two such
/// tables stay small. The page cache holds the archive once for every process mapping it.
///
/// Opening checks what a lookup relies on — every count against the bytes left, the string
/// offsets in order and each string at most `maxStringBytes`, every string id in range,
/// functions and publics sorted by address, every function's line and inline slice inside its
/// array — and then gives the pages it read back; a damaged archive is an error, so the store
/// derives the table again. Reads after that are bounds-checked too: nothing a file changed
/// behind our back says can trap. (An I/O error on a mapped page, or the file truncated in place
/// by another program, is SIGBUS at the lookup that touches it; isolated workers contain it.)
public final class MappedSymbolTable: Sendable, Equatable {
  private let r: ByteReader
  private let stringOffsetsAt: Int
  private let stringCount: Int
  private let stringBytesAt: Int
  private let stringBytesCount: Int
  private let functionsAt: Int
  let functionCount: Int
  private let linesAt: Int
  let lineCount: Int
  private let filesAt: Int
  private let fileCount: Int
  private let publicsAt: Int
  let publicCount: Int
  private let inlineNamesAt: Int
  private let inlineNameCount: Int
  private let inlinesAt: Int
  let inlineCount: Int

  /// Record sizes in bytes (`SymbolTableArchive.write`).
  static let functionBytes = 36
  static let lineBytes = 16
  static let publicBytes = 16
  static let inlineBytes = 24

  /// What the header says besides the records.
  struct Header {
    var source: SymbolTable.Source = .exports
    var os: String?
    var cpu: String?
    var debugID: String?
    var debugFile: String?
    var codeID: String?
    var stackRecords: [String] = []
  }
  let header: Header

  /// The archive in `r` (usually a whole mapped file), checked as the type describes.
  init(_ r: ByteReader) throws(ParseError) {
    let w = "symbol table archive"
    guard r.count >= 16, try r.array(at: 0, count: 8, w) == SymbolTableArchive.magic else {
      throw ParseError(w, offset: 0, "not a crashsift symbol table")
    }
    guard try r.u32(at: 8, w) == SymbolTableArchive.version else {
      throw ParseError(w, offset: 8, "written by another version")
    }
    self.r = r
    var offset = 12
    func u32() throws(ParseError) -> UInt32 {
      defer { offset += 4 }
      return try r.u32(at: offset, w)
    }
    /// A count of `size`-byte records that must fit in what is left; returns (start, count).
    func section(_ size: Int) throws(ParseError) -> (Int, Int) {
      let count = Int(try u32())
      guard count <= (r.count - offset) / size else {
        throw ParseError(w, offset: offset, "\(count) records do not fit in the file")
      }
      defer { offset += count * size }
      return (offset, count)
    }
    // Strings: a count, each string's end offset, the byte count, the bytes.
    (stringOffsetsAt, stringCount) = try section(4)
    let bytesCount = Int(try u32())
    guard bytesCount <= r.count - offset else {
      throw ParseError(w, offset: offset, "\(bytesCount) bytes of strings do not fit in the file")
    }
    stringBytesAt = offset
    stringBytesCount = bytesCount
    offset += bytesCount
    var previous: UInt32 = 0
    for index in 0..<stringCount {
      let next = try r.u32(at: stringOffsetsAt + 4 * index, w)
      guard next >= previous, Int(next) <= bytesCount else {
        throw ParseError(w, offset: stringOffsetsAt + 4 * index, "string offsets out of order")
      }
      // Each lookup decodes the names it returns: their length bounds what one lookup allocates.
      guard next - previous <= Self.maxStringBytes else {
        throw ParseError(
          w, offset: stringOffsetsAt + 4 * index,
          "a string of \(next - previous) bytes (at most \(Self.maxStringBytes))")
      }
      previous = next
    }
    let stringCount = stringCount
    func checkID(_ id: UInt32, at offset: Int, allowingNone: Bool = false) throws(ParseError) {
      guard (allowingNone && id == 0) || (id > 0 && Int(id) <= stringCount) else {
        throw ParseError(w, offset: offset, "string \(id) of \(stringCount)")
      }
    }

    var header = Header()
    let headerAt = offset
    header.source =
      switch try u32() {
      case 0: .pdb
      case 1: .breakpad
      default: .exports
      }
    let ids = (try u32(), try u32(), try u32(), try u32(), try u32())
    (functionsAt, functionCount) = try section(Self.functionBytes)
    (linesAt, lineCount) = try section(Self.lineBytes)
    (filesAt, fileCount) = try section(4)
    (publicsAt, publicCount) = try section(Self.publicBytes)
    (inlineNamesAt, inlineNameCount) = try section(4)
    (inlinesAt, inlineCount) = try section(Self.inlineBytes)
    let (recordsAt, recordCount) = try section(4)

    for id in [ids.0, ids.1, ids.2, ids.3, ids.4] {
      try checkID(id, at: headerAt, allowingNone: true)
    }
    header.os = Self.string(r, ids.0, stringOffsetsAt, stringCount, stringBytesAt)
    header.cpu = Self.string(r, ids.1, stringOffsetsAt, stringCount, stringBytesAt)
    header.debugID = Self.string(r, ids.2, stringOffsetsAt, stringCount, stringBytesAt)
    header.debugFile = Self.string(r, ids.3, stringOffsetsAt, stringCount, stringBytesAt)
    header.codeID = Self.string(r, ids.4, stringOffsetsAt, stringCount, stringBytesAt)
    // Each distinct record once: ids repeated by a hostile file share one decoded string.
    var decoded: [UInt32: String] = [:]
    header.stackRecords.reserveCapacity(recordCount)
    for index in 0..<recordCount {
      let id = try r.u32(at: recordsAt + 4 * index, w)
      try checkID(id, at: recordsAt + 4 * index)
      if let known = decoded[id] {
        header.stackRecords.append(known)
      } else {
        let text = Self.string(r, id, stringOffsetsAt, stringCount, stringBytesAt) ?? ""
        decoded[id] = text
        header.stackRecords.append(text)
      }
    }
    self.header = header
    for (at, count) in [(filesAt, fileCount), (inlineNamesAt, inlineNameCount)] {
      for index in 0..<count {
        try checkID(try r.u32(at: at + 4 * index, w), at: at + 4 * index)
      }
    }

    // What lookups rely on: sorted functions and publics, slices inside their arrays.
    var lastRVA: UInt32 = 0
    for index in 0..<functionCount {
      let at = functionsAt + Self.functionBytes * index
      let rva = try r.u32(at: at, w)
      let linesStart = Int(try r.u32(at: at + 16, w))
      let linesCount = Int(try r.u32(at: at + 20, w))
      let inlinesStart = Int(try r.u32(at: at + 24, w))
      let inlinesCount = Int(try r.u32(at: at + 28, w))
      try checkID(try r.u32(at: at + 12, w), at: at + 12)
      guard rva >= lastRVA else {
        throw ParseError(w, offset: at, "functions are not in address order")
      }
      guard linesStart <= lineCount, linesCount <= lineCount - linesStart,
        inlinesStart <= inlineCount, inlinesCount <= inlineCount - inlinesStart
      else {
        throw ParseError(w, offset: at, "a function points outside the line or inline arrays")
      }
      lastRVA = rva
    }
    lastRVA = 0
    for index in 0..<publicCount {
      let at = publicsAt + Self.publicBytes * index
      let rva = try r.u32(at: at, w)
      try checkID(try r.u32(at: at + 8, w), at: at + 8)
      guard rva >= lastRVA else {
        throw ParseError(w, offset: at, "publics are not in address order")
      }
      lastRVA = rva
    }
    // The checks read the whole function and public arrays; lookups need only a few pages.
    r.dropResidentPages()
  }

  /// The longest string an archive may hold (names, file paths, STACK records): a lookup
  /// decodes the names it returns, so this bounds what one lookup allocates. A table with a
  /// longer string is not opened from its archive; the store then uses the derived table.
  static let maxStringBytes: UInt32 = 64 << 10

  /// Two mapped tables are equal when they are the same archive mapping.
  public static func == (lhs: MappedSymbolTable, rhs: MappedSymbolTable) -> Bool { lhs === rhs }

  /// A u32 the open checks proved inside the file (0 if it somehow is not).
  @inline(__always)
  private func u32(_ offset: Int) -> UInt32 { r.u32(at: offset, default: 0) }

  /// String `id` (1-based; 0 is no string), or `nil` when out of range.
  private static func string(
    _ r: ByteReader, _ id: UInt32, _ offsetsAt: Int, _ count: Int, _ bytesAt: Int
  ) -> String? {
    guard id > 0, Int(id) <= count else { return nil }
    let index = Int(id) - 1
    let start = index == 0 ? 0 : Int(r.u32(at: offsetsAt + 4 * (index - 1), default: 0))
    let end = Int(r.u32(at: offsetsAt + 4 * index, default: 0))
    guard start <= end, let bytes = try? r.bytes(at: bytesAt + start, count: end - start, "")
    else { return nil }
    return String(decoding: bytes, as: UTF8.self)
  }

  func string(_ id: UInt32) -> String? {
    Self.string(r, id, stringOffsetsAt, stringCount, stringBytesAt)
  }
}

extension MappedSymbolTable: SymbolRecords {
  func functionRVA(_ index: Int) -> UInt32 { u32(functionsAt + Self.functionBytes * index) }

  func functionSpan(_ index: Int) -> SymbolFunctionSpan {
    let at = functionsAt + Self.functionBytes * index
    return SymbolFunctionSpan(
      rva: u32(at), size: u32(at + 4), linesStart: Int(u32(at + 16)),
      linesCount: Int(u32(at + 20)), inlinesStart: Int(u32(at + 24)),
      inlinesCount: Int(u32(at + 28)), inlinesMaxSize: u32(at + 32))
  }

  func functionName(_ index: Int) -> String {
    string(u32(functionsAt + Self.functionBytes * index + 12)) ?? ""
  }

  func functionParameterSize(_ index: Int) -> UInt32 {
    u32(functionsAt + Self.functionBytes * index + 8)
  }

  func line(_ index: Int) -> SymbolTable.Line {
    let at = linesAt + Self.lineBytes * index
    return SymbolTable.Line(
      rva: u32(at), size: u32(at + 4), line: u32(at + 8), file: Int(u32(at + 12)))
  }

  func fileName(_ index: Int) -> String? {
    guard index >= 0, index < fileCount else { return nil }
    return string(u32(filesAt + 4 * index)) ?? ""
  }

  func publicRVA(_ index: Int) -> UInt32 { u32(publicsAt + Self.publicBytes * index) }

  func publicSymbol(_ index: Int) -> (name: String, isCode: Bool) {
    let at = publicsAt + Self.publicBytes * index
    return (string(u32(at + 8)) ?? "", u32(at + 12) != 0)
  }

  func inline(_ index: Int) -> SymbolTable.Inline {
    let at = inlinesAt + Self.inlineBytes * index
    return SymbolTable.Inline(
      rva: u32(at), size: u32(at + 4), depth: u32(at + 8), line: u32(at + 12),
      file: u32(at + 16), nameIndex: u32(at + 20))
  }

  func inlineName(_ index: Int) -> String {
    guard index >= 0, index < inlineNameCount else { return "" }
    return string(u32(inlineNamesAt + 4 * index)) ?? ""
  }

  /// The table with its records copied into arrays (`SymbolTableArchive.decode`); each string
  /// decoded once and shared by every record naming it, as in a derived table.
  func materialized() -> SymbolTable {
    var decoded: [UInt32: String] = [:]
    func text(_ id: UInt32) -> String {
      if let known = decoded[id] { return known }
      let value = string(id) ?? ""
      decoded[id] = value
      return value
    }
    var functions: [SymbolTable.Function] = []
    functions.reserveCapacity(functionCount)
    for index in 0..<functionCount {
      let span = functionSpan(index)
      var function = SymbolTable.Function(
        rva: span.rva, size: span.size, parameterSize: functionParameterSize(index),
        name: text(u32(functionsAt + Self.functionBytes * index + 12)),
        linesStart: span.linesStart, linesCount: span.linesCount)
      function.inlinesStart = span.inlinesStart
      function.inlinesCount = span.inlinesCount
      function.inlinesMaxSize = span.inlinesMaxSize
      functions.append(function)
    }
    var publics: [SymbolTable.Public] = []
    publics.reserveCapacity(publicCount)
    for index in 0..<publicCount {
      let at = publicsAt + Self.publicBytes * index
      publics.append(
        SymbolTable.Public(
          rva: u32(at), parameterSize: u32(at + 4), name: text(u32(at + 8)),
          isCode: u32(at + 12) != 0))
    }
    var table = SymbolTable(
      source: header.source, functions: functions, lines: (0..<lineCount).map(line),
      files: (0..<fileCount).map { text(u32(filesAt + 4 * $0)) }, publics: publics,
      stackRecords: header.stackRecords)
    table.inlines = (0..<inlineCount).map(inline)
    table.inlineNames = (0..<inlineNameCount).map { text(u32(inlineNamesAt + 4 * $0)) }
    table.os = header.os
    table.cpu = header.cpu
    table.debugID = header.debugID
    table.debugFile = header.debugFile
    table.codeID = header.codeID
    return table
  }
}
