import ByteReader

/// A symbol table as bytes, so a table derived once from a PDB or a .sym is reused by later runs
/// (`DerivedTableStore`): magic `CSTAB`, the format version, a string table (each distinct string
/// once: a count, each string's end offset, the byte count, the bytes), then the table's arrays
/// as fixed-size little-endian records.
///
/// Reading (`MappedSymbolTable`) checks every count against the bytes left, every slice against its
/// array and the address order lookups search by: a damaged file is an error (and the store
/// derives the table again), never a table whose lookups could trap.
public enum SymbolTableArchive {
  /// Bumped whenever the bytes or what a table holds change (derivation rules included, e.g.
  /// undecorated public names), so stale archives are not used. 2: publics the undecorator used
  /// to leave decorated (arrays, member pointers, lambdas, thunks…) are undecorated. 3: inline
  /// ranges name their inlinee by an index into a list of inline names. 4: strings located by a
  /// table of end offsets, so a mapped archive answers lookups without decoding (`MappedSymbolTable`).
  public static let version: UInt32 = 4
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
    // End offsets in 32 bits: a table whose strings pass 4 GiB is not archived (it is derived
    // again next time, which is all a failed write costs).
    w.u32(UInt32(truncatingIfNeeded: strings.list.count))
    var end = 0
    for text in strings.list {
      end += text.utf8.count
      guard end <= Int(UInt32.max) else { return false }
      w.u32(UInt32(end))
    }
    w.u32(UInt32(end))
    for text in strings.list { w.bytes(text) }
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

  /// The table stored in `r`, its records copied into arrays (tests, tools). The symbolize stage
  /// uses `open` instead.
  public static func decode(_ r: ByteReader) throws(ParseError) -> SymbolTable {
    try MappedSymbolTable(r).materialized()
  }

  /// The table stored in `r`, answering lookups from the archive's bytes (`MappedSymbolTable`):
  /// its arrays stay empty and only the pages lookups touch become resident.
  public static func open(_ r: ByteReader) throws(ParseError) -> SymbolTable {
    let mapped = try MappedSymbolTable(r)
    let header = mapped.header
    var table = SymbolTable(
      source: header.source, functions: [], lines: [], files: [], publics: [],
      stackRecords: header.stackRecords)
    table.os = header.os
    table.cpu = header.cpu
    table.debugID = header.debugID
    table.debugFile = header.debugFile
    table.codeID = header.codeID
    table.mapped = mapped
    return table
  }
}
