import ByteReader

/// Reads Breakpad `.sym` text into a `SymbolTable` (google/breakpad `docs/symbol_files.md`;
/// record grammar and resolver rules: reference/pdb-and-symbols.md §4). CRLF and LF both parse;
/// a malformed record is an error naming its line.
public enum BreakpadSymbolReader {
  /// Files of more than this many lines are refused (the largest real ones have a few million).
  static let maxLines = 50_000_000

  public static func read(path: String) throws(ParseError) -> SymbolTable {
    // The mapping must outlive the parse: `bytes` points into it.
    let file = try MappedFile(path: path)
    defer { withExtendedLifetime(file) {} }
    return try read(bytes: file.bytes, name: path)
  }

  public static func read(text: String, name: String = ".sym") throws(ParseError) -> SymbolTable {
    var copy = text
    let result = copy.withUTF8 { buffer in
      Result { () throws(ParseError) in try read(bytes: UnsafeRawBufferPointer(buffer), name: name)
      }
    }
    return try result.get()
  }

  public static func read(bytes: UnsafeRawBufferPointer, name: String) throws(ParseError)
    -> SymbolTable
  {
    var table = SymbolTable(
      source: .breakpad, functions: [], lines: [], files: [], publics: [], stackRecords: [])
    var currentFunction: Int?
    var lineNumber = 0
    var start = 0
    while start < bytes.count {
      var end = start
      while end < bytes.count && bytes[end] != 0x0A && bytes[end] != 0x0D { end += 1 }
      let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
      lineNumber += 1
      guard lineNumber <= maxLines else { throw ParseError(name, "more than \(maxLines) lines") }
      // Skip the line break (CRLF counts once).
      start = end
      if start < bytes.count && bytes[start] == 0x0D { start += 1 }
      if start < bytes.count && bytes[start] == 0x0A { start += 1 }
      if line.isEmpty { continue }
      do {
        try parse(line, into: &table, currentFunction: &currentFunction)
      } catch {
        throw ParseError("\(name) line \(lineNumber)", error.reason)
      }
    }
    // Breakpad files are sorted already, but a table must be: sort and keep lines with functions.
    if !zip(table.functions, table.functions.dropFirst()).allSatisfy({ $0.rva <= $1.rva }) {
      table.functions.sort { $0.rva < $1.rva }
    }
    if !zip(table.publics, table.publics.dropFirst()).allSatisfy({ $0.rva <= $1.rva }) {
      table.publics.sort { $0.rva < $1.rva }
    }
    return table
  }

  static func fields(_ line: UnsafeRawBufferPointer, max: Int) -> [Substring] {
    let text = String(decoding: line, as: UTF8.self)
    return text.split(separator: " ", maxSplits: max - 1, omittingEmptySubsequences: false)
  }

  static func hex(_ field: Substring, _ what: String) throws(ParseError) -> UInt32 {
    guard let value = UInt32(field, radix: 16) else {
      throw ParseError(what, "\"\(field)\" is not a hexadecimal number")
    }
    return value
  }

  static func decimal(_ field: Substring, _ what: String) throws(ParseError) -> Int {
    guard let value = Int(field), value >= -1 else {
      throw ParseError(what, "\"\(field)\" is not a decimal number")
    }
    return value
  }

  static func parse(
    _ line: UnsafeRawBufferPointer, into table: inout SymbolTable, currentFunction: inout Int?
  ) throws(ParseError) {
    func startsWith(_ word: String) -> Bool {
      let bytes = Array(word.utf8)
      return line.count >= bytes.count && line.prefix(bytes.count).elementsEqual(bytes)
    }
    if startsWith("FUNC ") {
      var f = fields(line, max: 5)
      if f.count > 1 && f[1] == "m" {
        f = fields(line, max: 6).enumerated().filter { $0.offset != 1 }.map(\.element)
      }
      guard f.count >= 5 else {
        throw ParseError("FUNC", "expected FUNC [m] address size parameter_size name")
      }
      table.functions.append(
        SymbolTable.Function(
          rva: try hex(f[1], "FUNC address"), size: try hex(f[2], "FUNC size"),
          parameterSize: try hex(f[3], "FUNC parameter size"), name: String(f[4]),
          linesStart: table.lines.count, linesCount: 0))
      currentFunction = table.functions.count - 1
    } else if startsWith("PUBLIC ") {
      var f = fields(line, max: 4)
      if f.count > 1 && f[1] == "m" {
        f = fields(line, max: 5).enumerated().filter { $0.offset != 1 }.map(\.element)
      }
      guard f.count >= 4 else {
        throw ParseError("PUBLIC", "expected PUBLIC [m] address parameter_size name")
      }
      table.publics.append(
        SymbolTable.Public(
          rva: try hex(f[1], "PUBLIC address"),
          parameterSize: try hex(f[2], "PUBLIC parameter size"),
          name: String(f[3])))
      currentFunction = nil
    } else if startsWith("FILE ") {
      let f = fields(line, max: 3)
      guard f.count == 3 else { throw ParseError("FILE", "expected FILE id name") }
      let id = try decimal(f[1], "FILE id")
      guard id >= 0, id <= 10_000_000 else { throw ParseError("FILE", "id \(id) is out of range") }
      if table.files.count <= id {
        table.files += Array(repeating: "", count: id + 1 - table.files.count)
      }
      table.files[id] = String(f[2])
    } else if startsWith("STACK ") {
      table.stackRecords.append(String(decoding: line, as: UTF8.self))
    } else if startsWith("MODULE ") {
      let f = fields(line, max: 5)
      guard f.count == 5 else { throw ParseError("MODULE", "expected MODULE os cpu id name") }
      (table.os, table.cpu, table.debugID, table.debugFile) = (
        String(f[1]), String(f[2]), String(f[3]), String(f[4])
      )
    } else if startsWith("INFO CODE_ID ") {
      let f = fields(line, max: 4)
      if f.count >= 3 { table.codeID = String(f[2]) }
    } else if startsWith("INFO ") || startsWith("INLINE_ORIGIN ") || startsWith("INLINE ") {
      // Recorded by producers, not needed for function+line lookups yet.
    } else {
      // A line record: address size line file, belonging to the last FUNC.
      let f = fields(line, max: 4)
      guard f.count == 4 else {
        throw ParseError(
          "line record",
          "unrecognised record \"\(String(decoding: line.prefix(40), as: UTF8.self))\"")
      }
      guard let function = currentFunction else {
        throw ParseError("line record", "a line record must follow a FUNC")
      }
      let lineValue = try decimal(f[2], "line number")
      let file = try decimal(f[3], "line file id")
      guard lineValue >= 0, lineValue <= Int(UInt32.max), file >= 0 else {
        throw ParseError("line record", "line \(lineValue) or file id \(file) is out of range")
      }
      table.lines.append(
        SymbolTable.Line(
          rva: try hex(f[0], "line address"), size: try hex(f[1], "line size"),
          line: UInt32(lineValue),
          file: file))
      table.functions[function].linesCount += 1
    }
  }
}
