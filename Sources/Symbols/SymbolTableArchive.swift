import ByteReader

/// A symbol table as bytes, so a table derived once from a PDB or a .sym is reused by later runs
/// (`DerivedTableStore`): magic `CSTAB`, the format version, a string table (each distinct string
/// once), then the table's arrays as fixed-size little-endian records.
///
/// Reading checks every count against the bytes left and every index against its array before
/// building the table: a damaged file is an error (and the store derives the table again), never
/// a table whose lookups could trap.
public enum SymbolTableArchive {
  /// Bumped whenever the bytes or what a table holds change (derivation rules included, e.g.
  /// undecorated public names), so stale archives are not used. 2: publics the undecorator used
  /// to leave decorated (arrays, member pointers, lambdas, thunks…) are undecorated. 3: inline
  /// ranges name their inlinee by an index into a list of inline names.
  public static let version: UInt32 = 3
  static let magic = Array("CSTAB\0\0\0".utf8)

  // MARK: writing

  /// Each distinct string of a table once, numbered from 1 in the order the records name them.
  private struct Strings {
    var list: [String] = []
    var index: [String: UInt32] = [:]

    mutating func add(_ text: String?) {
      guard let text, index[text] == nil else { return }
      list.append(text)
      index[text] = UInt32(truncatingIfNeeded: list.count)
    }

    func id(_ text: String?) -> UInt32 { text.flatMap { index[$0] } ?? 0 }
  }

  /// Collects output into pieces of about `pieceBytes` handed to a sink, so writing a big
  /// table's archive never holds the whole archive in memory.
  private struct Output {
    static let pieceBytes = 1 << 20
    var buffer: [UInt8] = []
    let sink: (UnsafeRawBufferPointer) -> Bool
    var failed = false

    init(sink: @escaping (UnsafeRawBufferPointer) -> Bool) {
      self.sink = sink
      buffer.reserveCapacity(Self.pieceBytes + 4096)
    }

    mutating func u32(_ value: UInt32) {
      withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
      if buffer.count >= Self.pieceBytes { flush() }
    }

    mutating func bytes(_ text: String) {
      var text = text
      text.withUTF8 { buffer.append(contentsOf: $0) }
      if buffer.count >= Self.pieceBytes { flush() }
    }

    mutating func flush() {
      if !failed, !buffer.isEmpty {
        failed = !buffer.withUnsafeBytes { sink($0) }
      }
      buffer.removeAll(keepingCapacity: true)
    }
  }

  /// The bytes of `table`.
  public static func encode(_ table: SymbolTable) -> [UInt8] {
    var out: [UInt8] = []
    _ = write(table) {
      out.append(contentsOf: $0)
      return true
    }
    return out
  }

  /// Writes the archive of `table` through `sink` in pieces of about 1 MiB; false when the sink
  /// refused one (the rest is not written). Memory: the string index, not the archive.
  public static func write(
    _ table: SymbolTable, to sink: @escaping (UnsafeRawBufferPointer) -> Bool
  )
    -> Bool
  {
    var strings = Strings()
    for text in [table.os, table.cpu, table.debugID, table.debugFile, table.codeID] {
      strings.add(text)
    }
    for function in table.functions { strings.add(function.name) }
    for file in table.files { strings.add(file) }
    for symbol in table.publics { strings.add(symbol.name) }
    for name in table.inlineNames { strings.add(name) }
    for record in table.stackRecords { strings.add(record) }

    var w = Output(sink: sink)
    for byte in magic { w.buffer.append(byte) }
    w.u32(version)
    w.u32(UInt32(truncatingIfNeeded: strings.list.count))
    for text in strings.list {
      w.u32(UInt32(truncatingIfNeeded: text.utf8.count))
      w.bytes(text)
    }
    let source: UInt32 =
      switch table.source {
      case .pdb: 0
      case .breakpad: 1
      case .exports: 2
      }
    w.u32(source)
    for text in [table.os, table.cpu, table.debugID, table.debugFile, table.codeID] {
      w.u32(strings.id(text))
    }
    w.u32(UInt32(truncatingIfNeeded: table.functions.count))
    for f in table.functions {
      for value in [f.rva, f.size, f.parameterSize] { w.u32(value) }
      w.u32(strings.id(f.name))
      for value in [f.linesStart, f.linesCount, f.inlinesStart, f.inlinesCount] {
        w.u32(UInt32(truncatingIfNeeded: value))
      }
      w.u32(f.inlinesMaxSize)
    }
    w.u32(UInt32(truncatingIfNeeded: table.lines.count))
    for l in table.lines {
      for value in [l.rva, l.size, l.line, UInt32(truncatingIfNeeded: l.file)] { w.u32(value) }
    }
    w.u32(UInt32(truncatingIfNeeded: table.files.count))
    for file in table.files { w.u32(strings.id(file)) }
    w.u32(UInt32(truncatingIfNeeded: table.publics.count))
    for p in table.publics {
      for value in [p.rva, p.parameterSize] { w.u32(value) }
      w.u32(strings.id(p.name))
      w.u32(p.isCode ? 1 : 0)
    }
    w.u32(UInt32(truncatingIfNeeded: table.inlineNames.count))
    for name in table.inlineNames { w.u32(strings.id(name)) }
    w.u32(UInt32(truncatingIfNeeded: table.inlines.count))
    for i in table.inlines {
      for value in [i.rva, i.size, i.depth, i.line, i.file, i.nameIndex] { w.u32(value) }
    }
    w.u32(UInt32(truncatingIfNeeded: table.stackRecords.count))
    for record in table.stackRecords { w.u32(strings.id(record)) }
    w.flush()
    return !w.failed
  }

  // MARK: reading

  private struct Cursor {
    let r: ByteReader
    var offset: Int
    /// Pages are given back after every this many bytes read (mapped archives only).
    var dropEvery = Int.max
    var nextDrop = Int.max

    mutating func u32() throws(ParseError) -> UInt32 {
      defer { offset += 4 }
      if offset >= nextDrop {
        r.dropResidentPages()
        nextDrop = offset &+ dropEvery
      }
      return try r.u32(at: offset, "symbol table archive")
    }

    /// A count of records of `size` bytes that must fit in what is left.
    mutating func count(_ size: Int) throws(ParseError) -> Int {
      let value = Int(try u32())
      guard value <= (r.count - offset) / max(size, 1) else {
        throw ParseError(
          "symbol table archive", offset: offset, "\(value) records do not fit in the file")
      }
      return value
    }
  }

  /// The table stored in `bytes`; a mapped file's pages are given back after every
  /// `dropPagesEvery` bytes decoded, so a big archive is not resident whole next to its table.
  public static func decode(_ r: ByteReader, dropPagesEvery: Int = .max) throws(ParseError)
    -> SymbolTable
  {
    let w = "symbol table archive"
    guard r.count >= 16, try r.array(at: 0, count: 8, w) == magic else {
      throw ParseError(w, offset: 0, "not a crashsift symbol table")
    }
    guard try r.u32(at: 8, w) == version else {
      throw ParseError(w, offset: 8, "written by another version")
    }
    var c = Cursor(r: r, offset: 12)
    c.dropEvery = max(dropPagesEvery, 4096)
    c.nextDrop = dropPagesEvery == .max ? .max : 12 &+ c.dropEvery
    let stringCount = try c.count(4)
    var strings: [String] = []
    strings.reserveCapacity(stringCount)
    for _ in 0..<stringCount {
      let length = Int(try c.u32())
      strings.append(String(decoding: try r.array(at: c.offset, count: length, w), as: UTF8.self))
      c.offset += length
    }
    func string(_ id: UInt32) throws(ParseError) -> String? {
      guard id != 0 else { return nil }
      guard Int(id) <= strings.count else {
        throw ParseError(w, offset: c.offset, "string \(id) of \(strings.count)")
      }
      return strings[Int(id) - 1]
    }
    func name(_ id: UInt32) throws(ParseError) -> String { try string(id) ?? "" }

    let sourceCode = try c.u32()
    let source: SymbolTable.Source =
      switch sourceCode {
      case 0: .pdb
      case 1: .breakpad
      default: .exports
      }
    let os = try string(try c.u32())
    let cpu = try string(try c.u32())
    let debugID = try string(try c.u32())
    let debugFile = try string(try c.u32())
    let codeID = try string(try c.u32())

    var functions: [SymbolTable.Function] = []
    let functionCount = try c.count(36)
    functions.reserveCapacity(functionCount)
    for _ in 0..<functionCount {
      let rva = try c.u32()
      let size = try c.u32()
      let parameterSize = try c.u32()
      let functionName = try name(try c.u32())
      var function = SymbolTable.Function(
        rva: rva, size: size, parameterSize: parameterSize, name: functionName,
        linesStart: Int(try c.u32()), linesCount: Int(try c.u32()))
      function.inlinesStart = Int(try c.u32())
      function.inlinesCount = Int(try c.u32())
      function.inlinesMaxSize = try c.u32()
      functions.append(function)
    }
    var lines: [SymbolTable.Line] = []
    let lineCount = try c.count(16)
    lines.reserveCapacity(lineCount)
    for _ in 0..<lineCount {
      lines.append(
        SymbolTable.Line(
          rva: try c.u32(), size: try c.u32(), line: try c.u32(), file: Int(try c.u32())))
    }
    var files: [String] = []
    let fileCount = try c.count(4)
    for _ in 0..<fileCount { files.append(try name(try c.u32())) }
    var publics: [SymbolTable.Public] = []
    let publicCount = try c.count(16)
    publics.reserveCapacity(publicCount)
    for _ in 0..<publicCount {
      let rva = try c.u32()
      let parameterSize = try c.u32()
      let publicName = try name(try c.u32())
      publics.append(
        SymbolTable.Public(
          rva: rva, parameterSize: parameterSize, name: publicName, isCode: try c.u32() != 0))
    }
    var inlineNames: [String] = []
    let inlineNameCount = try c.count(4)
    inlineNames.reserveCapacity(inlineNameCount)
    for _ in 0..<inlineNameCount { inlineNames.append(try name(try c.u32())) }
    var inlines: [SymbolTable.Inline] = []
    let inlineCount = try c.count(24)
    inlines.reserveCapacity(inlineCount)
    for _ in 0..<inlineCount {
      // File and name indexes are checked at lookup, like the lines' files.
      inlines.append(
        SymbolTable.Inline(
          rva: try c.u32(), size: try c.u32(), depth: try c.u32(), line: try c.u32(),
          file: try c.u32(), nameIndex: try c.u32()))
    }
    var stackRecords: [String] = []
    let recordCount = try c.count(4)
    for _ in 0..<recordCount { stackRecords.append(try name(try c.u32())) }

    // Every slice and index must be inside its array: lookups index without checks.
    for function in functions {
      guard function.linesStart <= lines.count,
        function.linesCount <= lines.count - function.linesStart,
        function.inlinesStart <= inlines.count,
        function.inlinesCount <= inlines.count - function.inlinesStart
      else {
        throw ParseError(w, "function \(function.name) points outside the line or inline arrays")
      }
    }
    // Lookups binary-search these; file indexes are checked at lookup.
    guard zip(functions, functions.dropFirst()).allSatisfy({ $0.rva <= $1.rva }),
      zip(publics, publics.dropFirst()).allSatisfy({ $0.rva <= $1.rva })
    else {
      throw ParseError(w, "functions or publics are not in address order")
    }
    var table = SymbolTable(
      source: source, functions: functions, lines: lines, files: files, publics: publics,
      stackRecords: stackRecords)
    table.inlines = inlines
    table.inlineNames = inlineNames
    table.os = os
    table.cpu = cpu
    table.debugID = debugID
    table.debugFile = debugFile
    table.codeID = codeID
    return table
  }
}
