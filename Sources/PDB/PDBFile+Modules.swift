import ByteReader

// Module streams: procedures (S_*PROC32) and C13 line tables with their file names
// (reference/pdb-and-symbols.md §2.3, §2.6, §2.7).
extension PDBFile {
  /// The DBI module-info records.
  public func modules() throws(ParseError) -> [PDBModule] {
    guard let dbi = try msf.stream(3) else { return [] }
    let w = "DBI module info"
    let size = Int(Int32(bitPattern: try dbi.u32(at: 24, w)))
    guard size >= 0, 64 + size <= dbi.count else {
      throw ParseError(w, "size \(size) runs past the DBI stream")
    }
    var modules: [PDBModule] = []
    var offset = 64
    let end = 64 + size
    while offset + 64 <= end {
      let stream = try dbi.u16(at: offset + 34, w)
      let name = try dbi.cString(at: offset + 64, maxLength: end - offset - 64, w)
      let objectOffset = offset + 64 + name.utf8.count + 1
      let object = try dbi.cString(at: objectOffset, maxLength: max(0, end - objectOffset), w)
      modules.append(
        PDBModule(
          name: name, objectName: object, symbolStream: stream == 0xFFFF ? nil : Int(stream),
          symbolBytes: Int(try dbi.u32(at: offset + 36, w)),
          c11Bytes: Int(try dbi.u32(at: offset + 40, w)),
          c13Bytes: Int(try dbi.u32(at: offset + 44, w))))
      offset = (objectOffset + object.utf8.count + 1 + 3) & ~3
    }
    return modules
  }

  /// Named streams of the PDB info stream (`/names`, `/LinkInfo`, …).
  public func namedStreams() throws(ParseError) -> [String: Int] {
    guard let info = try msf.stream(1) else { return [:] }
    let w = "named stream map"
    let bufferSize = Int(try info.u32(at: 28, w))
    guard bufferSize <= info.count else {
      throw ParseError(w, "string buffer of \(bufferSize) bytes is impossible")
    }
    let strings = 32
    var offset = strings + bufferSize
    let count = Int(try info.u32(at: offset, w))
    let presentWords = Int(try info.u32(at: offset + 8, w))
    guard presentWords <= info.count / 4 else {
      throw ParseError(w, "bitmap of \(presentWords) words is impossible")
    }
    offset += 12 + presentWords * 4
    let deletedWords = Int(try info.u32(at: offset, w))
    guard deletedWords <= info.count / 4, count <= info.count / 8 else {
      throw ParseError(w, "\(count) entries or \(deletedWords) deleted words are impossible")
    }
    offset += 4 + deletedWords * 4
    var result: [String: Int] = [:]
    // Entries can all point at one long string: decoding is budgeted like every list of names.
    var budget = DecodeBudget()
    for index in 0..<count {
      let key = Int(try info.u32(at: offset + index * 8, w))
      let value = Int(try info.u32(at: offset + index * 8 + 4, w))
      guard key < bufferSize else { continue }
      let name = try info.cString(at: strings + key, maxLength: bufferSize - key, w)
      try budget.spend(name.utf8.count, "named stream names")
      result[name] = value
    }
    return result
  }

  /// The `/names` string table's text, indexed by the name offsets FILECHKSMS entries hold.
  public func namesTable() throws(ParseError) -> ByteReader? {
    guard let index = try namedStreams()["/names"], let stream = try msf.stream(index) else {
      return nil
    }
    guard try stream.u32(at: 0, "/names") == 0xEFFE_EFFE else {
      throw ParseError("/names", "bad magic")
    }
    let size = Int(try stream.u32(at: 8, "/names"))
    return try stream.window(at: 12, count: size, "/names")
  }

  /// The procedures of a module.
  public func procedures(_ module: PDBModule) throws(ParseError) -> [PDBProcedure] {
    guard let stream = try moduleStream(module, names: nil) else { return [] }
    return try procedures(in: stream)
  }

  /// The procedures of an opened module stream.
  public func procedures(in stream: PDBModuleStream) throws(ParseError) -> [PDBProcedure] {
    let symbols = stream.symbols
    var result: [PDBProcedure] = []
    var budget = DecodeBudget()
    try SymbolRecords(reader: symbols, start: 4, what: "module symbols").forEach {
      (kind, offset, length) throws(ParseError) in
      // S_GPROC32, S_LPROC32, their _ID forms and the DPC variants share one layout.
      switch kind {
      case 0x1110, 0x110F, 0x1147, 0x1146, 0x1155, 0x1156: break
      default: return
      }
      guard length >= 37 else { return }
      let name = try symbols.cString(at: offset + 39, maxLength: length - 37, "procedure name")
      try budget.spend(name.utf8.count, "procedure names")
      result.append(
        PDBProcedure(
          name: name, segment: try symbols.u16(at: offset + 36, "procedure"),
          offset: try symbols.u32(at: offset + 32, "procedure"),
          length: try symbols.u32(at: offset + 16, "procedure"), kind: kind,
          typeIndex: try symbols.u32(at: offset + 28, "procedure")))
    }
    return result
  }

  /// A module's stream, assembled once, with its C13 subsections and file names (`names`: the
  /// `/names` table; `nil` leaves file names empty). `nil` for a stripped module.
  public func moduleStream(_ module: PDBModule, names: ByteReader?) throws(ParseError)
    -> PDBModuleStream?
  {
    guard let index = module.symbolStream, let stream = try msf.stream(index) else { return nil }
    let symbols = try stream.window(
      at: 0, count: min(module.symbolBytes, stream.count), "module symbols")
    guard module.c13Bytes > 0 else {
      return PDBModuleStream(symbols: symbols, subsections: [], fileNames: [:])
    }
    let start = module.symbolBytes + module.c11Bytes
    let c13 = try stream.window(at: start, count: module.c13Bytes, "C13 lines")
    var subsections: [(kind: UInt32, data: ByteReader)] = []
    var offset = 0
    while offset + 8 <= c13.count {
      let kind = try c13.u32(at: offset, "C13 subsection")
      let length = Int(try c13.u32(at: offset + 4, "C13 subsection"))
      let data = try c13.window(at: offset + 8, count: length, "C13 subsection")
      if kind & 0x8000_0000 == 0 { subsections.append((kind, data)) }
      offset = (offset + 8 + length + 3) & ~3
    }
    // The file checksum table: a file id is the byte offset of its entry.
    var fileNames: [UInt32: String] = [:]
    var budget = DecodeBudget()
    for (kind, data) in subsections where kind == 0xF4 {
      var entry = 0
      while entry + 6 <= data.count {
        let nameOffset = Int(try data.u32(at: entry, "FILECHKSMS"))
        let checksumSize = Int(try data.u8(at: entry + 4, "FILECHKSMS"))
        if let names, nameOffset < names.count {
          let name = try names.cString(
            at: nameOffset, maxLength: names.count - nameOffset, "/names")
          try budget.spend(name.utf8.count, "source file names")
          fileNames[UInt32(entry)] = name
        }
        entry = (entry + 6 + checksumSize + 3) & ~3
      }
    }
    return PDBModuleStream(symbols: symbols, subsections: subsections, fileNames: fileNames)
  }

  /// The C13 line blocks of a module, file names resolved through FILECHKSMS and `/names`.
  public func lineBlocks(_ module: PDBModule, names: ByteReader?) throws(ParseError)
    -> [PDBLineBlock]
  {
    guard let stream = try moduleStream(module, names: names) else { return [] }
    return try lineBlocks(in: stream)
  }

  /// The C13 line blocks of an opened module stream.
  public func lineBlocks(in stream: PDBModuleStream) throws(ParseError) -> [PDBLineBlock] {
    let (subsections, fileNames) = (stream.subsections, stream.fileNames)
    var blocks: [PDBLineBlock] = []
    for (kind, data) in subsections where kind == 0xF2 {
      let w = "C13 LINES"
      let contributionOffset = try data.u32(at: 0, w)
      let segment = try data.u16(at: 4, w)
      let contributionSize = try data.u32(at: 8, w)
      var cursor = 12
      while cursor + 12 <= data.count {
        let fileID = try data.u32(at: cursor, w)
        let count = Int(try data.u32(at: cursor + 4, w))
        let blockSize = Int(try data.u32(at: cursor + 8, w))
        guard count <= (data.count - cursor) / 8, blockSize >= 12 + count * 8 else {
          throw ParseError(w, "a block of \(count) lines does not fit its \(blockSize) bytes")
        }
        var entries: [(UInt32, UInt32)] = []
        entries.reserveCapacity(count)
        for line in 0..<count {
          let o = cursor + 12 + line * 8
          let bits = try data.u32(at: o + 4, w)
          entries.append((try data.u32(at: o, w), bits & 0xFF_FFFF))
        }
        // Columns, when flagged, follow the lines inside `blockSize`; they are not needed.
        blocks.append(
          PDBLineBlock(
            segment: segment, offset: contributionOffset, contributionSize: contributionSize,
            file: fileNames[fileID] ?? "", entries: entries))
        cursor += blockSize
      }
    }
    return blocks
  }
}
