import ByteReader

// Inline sites: S_INLINESITE(2) records with their binary annotations, the inlinee names of the
// IPI stream (LF_FUNC_ID / LF_MFUNC_ID) and the start lines of DEBUG_S_INLINEELINES
// (reference/pdb-and-symbols.md §2.4, §2.6, §2.7; cvinfo.h `BinaryAnnotationOpcode`).
extension PDBFile {
  /// Names of inlinees by IPI index: `scope::name` for LF_FUNC_ID (scope from its LF_STRING_ID),
  /// `Class::name` for LF_MFUNC_ID (class name from the TPI stream), as llvm-symbolizer prints.
  public func inlineeNames() throws(ParseError) -> [UInt32: String] {
    guard let ipi = try typeRecords(stream: 4, "IPI stream") else { return [:] }
    var namer = InlineeNamer(pdb: self, ipi: ipi)
    var result: [UInt32: String] = [:]
    for position in ipi.offsets.indices {
      let index = ipi.begin &+ UInt32(truncatingIfNeeded: position)
      if let name = try namer.name(index) { result[index] = name }
    }
    return result
  }

  /// The names of the inlinees `ids` (IPI indexes, from `inlineeIDs(in:into:)`), in their
  /// order; "" for an index that names no LF_FUNC_ID or LF_MFUNC_ID. A PDB has an LF_FUNC_ID for
  /// every function, inlined or not: naming only the inlined ones saves most of the names.
  public func inlineeNames(_ ids: [UInt32]) throws(ParseError) -> [String] {
    guard !ids.isEmpty, let ipi = try typeRecords(stream: 4, "IPI stream") else {
      return ids.map { _ in "" }
    }
    var namer = InlineeNamer(pdb: self, ipi: ipi)
    var result: [String] = []
    result.reserveCapacity(ids.count)
    for id in ids { result.append(try namer.name(id) ?? "") }
    return result
  }

  /// Names LF_FUNC_ID / LF_MFUNC_ID records, within a budget.
  private struct InlineeNamer {
    let pdb: PDBFile
    let ipi: TypeRecords
    // The TPI stream is the largest in most PDBs; it is indexed only if a method is inlined.
    var tpi: TypeRecords?
    var tpiRead = false
    // Each name is its record's plus a scope's, which many records share: bounded by a multiple
    // of the stream rather than by a constant that a big PDB's real names exceed.
    var budget: DecodeBudget

    init(pdb: PDBFile, ipi: TypeRecords) {
      self.pdb = pdb
      self.ipi = ipi
      budget = DecodeBudget(
        bytes: max(DecodeBudget.listDefault, min(ipi.reader.count, Int.max / 4) * 4))
    }

    mutating func name(_ index: UInt32) throws(ParseError) -> String? {
      guard let offset = ipi.offset(of: index) else { return nil }
      let reader = ipi.reader
      let leaf = try reader.u16(at: offset + 2, "IPI record")
      guard leaf == 0x1601 || leaf == 0x1602 else { return nil }
      let length = Int(try reader.u16(at: offset, "IPI record"))
      guard length >= 10 else { return nil }
      var name = try reader.cString(at: offset + 12, maxLength: length - 10, "inlinee name")
      let scope = try reader.u32(at: offset + 4, "inlinee scope")
      if leaf == 0x1601, scope != 0, let prefix = try ipi.stringID(scope) {
        name = prefix + "::" + name
      } else if leaf == 0x1602 {
        if !tpiRead {
          tpi = try pdb.typeRecords(stream: 2, "TPI stream")
          tpiRead = true
        }
        if let types = tpi, let owner = try types.className(scope) {
          name = owner + "::" + name
        }
      }
      try budget.spend(name.utf8.count, "inlinee names")
      return name
    }
  }

  /// Adds the IPI indexes of the inlinees a module's S_INLINESITE records name to `ids`.
  public func inlineeIDs(in stream: PDBModuleStream, into ids: inout Set<UInt32>)
    throws(ParseError)
  {
    let symbols = stream.symbols
    try SymbolRecords(reader: symbols, start: 4, what: "module symbols").forEach {
      (kind, offset, length) throws(ParseError) in
      guard kind == 0x114D || kind == 0x115D, length >= 14 else { return }
      ids.insert(try symbols.u32(at: offset + 12, "S_INLINESITE"))
    }
  }

  /// The inline sites of a module, with names from `inlinees` (`inlineeNames()`).
  public func inlineSites(_ module: PDBModule, names: ByteReader?, inlinees: [UInt32: String])
    throws(ParseError) -> [PDBInlineSite]
  {
    guard let stream = try moduleStream(module, names: names) else { return [] }
    return try inlineSites(in: stream, inlinees: inlinees)
  }

  /// The inline sites of an opened module stream.
  public func inlineSites(in stream: PDBModuleStream, inlinees: [UInt32: String])
    throws(ParseError) -> [PDBInlineSite]
  {
    let (subsections, fileNames) = (stream.subsections, stream.fileNames)
    // DEBUG_S_INLINEELINES: where each inlinee's source starts.
    var starts: [UInt32: (file: UInt32, line: UInt32)] = [:]
    for (kind, data) in subsections where kind == 0xF6 {
      let extended = try data.u32(at: 0, "INLINEELINES") == 1
      var cursor = 4
      while cursor + 12 <= data.count {
        starts[try data.u32(at: cursor, "INLINEELINES")] = (
          try data.u32(at: cursor + 4, "INLINEELINES"), try data.u32(at: cursor + 8, "INLINEELINES")
        )
        cursor += 12
        if extended {
          let extra = Int(try data.u32(at: cursor, "INLINEELINES"))
          guard extra <= data.count / 4 else {
            throw ParseError("INLINEELINES", "\(extra) extra files")
          }
          cursor += 4 + extra * 4
        }
      }
    }
    let symbols = stream.symbols
    var result: [PDBInlineSite] = []
    // Open scopes as (end record offset, inline depth, code base), each inheriting depth and base
    // from its parent, so a site's depth and base are O(1) however deep (or hostile) the nesting.
    // Inline code offsets count from the innermost procedure or S_SEPCODE chunk.
    typealias Base = (segment: UInt16, offset: UInt32)
    var scopes: [(end: Int, depth: Int, base: Base?)] = []
    try SymbolRecords(reader: symbols, start: 4, what: "module symbols").forEach {
      (kind, offset, length) throws(ParseError) in
      while let last = scopes.last, last.end < offset { scopes.removeLast() }
      let depth = scopes.last?.depth ?? 0
      let base = scopes.last?.base
      switch kind {
      case 0x1110, 0x110F, 0x1147, 0x1146, 0x1155, 0x1156:
        guard length >= 37 else { return }
        let procedure = (
          try symbols.u16(at: offset + 36, "procedure"),
          try symbols.u32(at: offset + 32, "procedure")
        )
        scopes = [(Int(try symbols.u32(at: offset + 8, "procedure")), 0, procedure)]
      case 0x1132:
        guard length >= 30 else { return }
        let chunk = (
          try symbols.u16(at: offset + 28, "S_SEPCODE"),
          try symbols.u32(at: offset + 20, "S_SEPCODE")
        )
        scopes.append((Int(try symbols.u32(at: offset + 8, "S_SEPCODE")), depth, chunk))
      case 0x1103, 0x1102:
        // Blocks and thunks open scopes closed by S_END.
        scopes.append((Int(try symbols.u32(at: offset + 8, "scope")), depth, base))
      case 0x114D, 0x115D:
        guard let procedure = base else { return }
        scopes.append((Int(try symbols.u32(at: offset + 8, "S_INLINESITE")), depth + 1, base))
        let inlinee = try symbols.u32(at: offset + 12, "S_INLINESITE")
        let annotationsStart = offset + (kind == 0x115D ? 20 : 16)
        guard annotationsStart <= offset + 2 + length else { return }
        let annotations = try symbols.window(
          at: annotationsStart, count: offset + 2 + length - annotationsStart, "annotations")
        let start = starts[inlinee]
        let ranges = try Self.decodeAnnotations(
          annotations, startLine: start?.line ?? 0, startFile: start?.file ?? 0,
          fileNames: fileNames)
        result.append(
          PDBInlineSite(
            segment: procedure.segment, procedureOffset: procedure.offset, depth: depth + 1,
            inlinee: inlinee, name: inlinees[inlinee] ?? "", ranges: ranges))
      default:
        return
      }
    }
    return result
  }

  /// Runs the binary-annotation program: each code-offset change starts a range at the current
  /// line; a code length (or the next range's start) ends it. A line change applies from the
  /// next code-offset change on.
  static func decodeAnnotations(
    _ bytes: ByteReader, startLine: UInt32, startFile: UInt32, fileNames: [UInt32: String]
  ) throws(ParseError) -> [PDBInlineSite.Range] {
    var cursor = 0
    func next() -> UInt32? {
      guard let first = try? bytes.u8(at: cursor, "annotation") else { return nil }
      if first & 0x80 == 0 {
        cursor += 1
        return UInt32(first)
      }
      if first & 0xC0 == 0x80, let second = try? bytes.u8(at: cursor + 1, "annotation") {
        cursor += 2
        return UInt32(first & 0x3F) << 8 | UInt32(second)
      }
      if first & 0xE0 == 0xC0, let rest = try? bytes.u32(at: cursor, "annotation") {
        cursor += 4
        let big = rest.byteSwapped  // the four bytes are big-endian
        return big & 0x1FFF_FFFF
      }
      return nil
    }
    func signed(_ value: UInt32) -> Int64 {
      value & 1 == 0 ? Int64(value >> 1) : -Int64(value >> 1)
    }
    var ranges: [PDBInlineSite.Range] = []
    var codeOffset: UInt32 = 0
    var line = Int64(startLine)
    var file = startFile
    var openLength = false  // whether the last range still waits for its length
    func begin() {
      if openLength, let last = ranges.indices.last, codeOffset > ranges[last].start {
        ranges[last].length = codeOffset - ranges[last].start
      }
      let clamped = UInt32(clamping: max(0, line))
      ranges.append(
        PDBInlineSite.Range(
          start: codeOffset, length: 0, line: clamped, file: fileNames[file] ?? ""))
      openLength = true
    }
    // Every opcode consumes at least one byte, so the walk ends within the record.
    while let opcode = next(), opcode != 0 {
      switch opcode {
      case 1:
        guard let value = next() else { break }
        codeOffset = value
      case 2:
        _ = next()
      case 3:
        guard let delta = next() else { break }
        codeOffset &+= delta
        begin()
      case 4:
        guard let length = next() else { break }
        // The length ends the open range and the code offset moves past it, as the Rust `pdb`
        // crate (symbolic) reads it; llvm-symbolizer differs on MSVC PDBs (BENCHMARKS.md).
        if openLength, let last = ranges.indices.last {
          ranges[last].length = length
          openLength = false
        }
        codeOffset &+= length
      case 5:
        guard let value = next() else { break }
        file = value
      case 6:
        guard let delta = next() else { break }
        line += signed(delta)
      case 7, 8, 9, 10, 13:
        _ = next()
      case 11:
        guard let operand = next() else { break }
        codeOffset &+= operand & 0xF
        line += signed(operand >> 4)
        begin()
      case 12:
        guard let length = next(), let delta = next() else { break }
        codeOffset &+= delta
        begin()
        ranges[ranges.count - 1].length = length
        openLength = false
      default:
        return ranges.filter { $0.length > 0 }
      }
    }
    return ranges.filter { $0.length > 0 }
  }

  /// A type stream's records by index.
  func typeRecords(stream index: Int, _ what: String) throws(ParseError) -> TypeRecords? {
    guard let stream = try msf.stream(index), stream.count >= 56 else { return nil }
    let headerSize = Int(try stream.u32(at: 4, what))
    let begin = try stream.u32(at: 8, what)
    let end = try stream.u32(at: 12, what)
    let bytes = Int(try stream.u32(at: 16, what))
    guard end >= begin, Int(end - begin) <= stream.count / 4 else {
      throw ParseError(what, "type indexes \(begin)..<\(end) do not fit the stream")
    }
    let records = try stream.window(at: headerSize, count: bytes, what)
    var offsets: [Int] = []
    offsets.reserveCapacity(Int(end - begin))
    var offset = 0
    while offset + 4 <= records.count, offsets.count < Int(end - begin) {
      offsets.append(offset)
      offset += 2 + Int(try records.u16(at: offset, what))
    }
    return TypeRecords(reader: records, begin: begin, offsets: offsets)
  }
}
