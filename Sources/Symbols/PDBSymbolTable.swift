import ByteReader
import PDB

/// Builds a `SymbolTable` from a PDB: procedures (S_*PROC32) with their sizes and C13 line tables
/// from the module streams, plus public symbols (S_PUB32) for addresses no procedure covers — all
/// with OMAP applied (reference/pdb-and-symbols.md §2.8).
///
/// Stripped PDBs have no module streams and yield publics only, which is what WinDbg prints too:
/// `module!Public+0xoffset`.
public enum PDBSymbolTable {
  /// How many bytes of module streams are read between two `dropResidentPages` calls.
  static let residentStreamBytes = 16 << 20

  private struct InlineKey: Hashable {
    var rva: UInt32
    var module: Int
  }

  /// A line record with its module, while the table is being built: 20 bytes instead of a
  /// `(SymbolTable.Line, Int)` tuple's 32, since a big PDB has millions of them.
  private struct ModuleLine {
    var rva: UInt32
    var size: UInt32
    var line: UInt32
    var file: UInt32
    var module: UInt32

    var tableLine: SymbolTable.Line {
      SymbolTable.Line(rva: rva, size: size, line: line, file: Int(file))
    }
  }

  /// - Parameter keepingEmptyLines: also keep the line entries that cover no bytes (an entry
  /// followed by another at the same offset) as size-0 lines before the real one, as breakpad's
  /// DIA-based .sym files do; for export only — lookups never land on them.
  public static func read(_ pdb: PDBFile, keepingEmptyLines: Bool = false) throws(ParseError)
    -> SymbolTable
  {
    try read(pdb, keepingEmptyLines: keepingEmptyLines, dropPagesEvery: residentStreamBytes)
  }

  /// `read`, giving the mapped file's pages back after every `dropPagesEvery` bytes of module
  /// streams (tests: 0, after every module).
  static func read(_ pdb: PDBFile, keepingEmptyLines: Bool, dropPagesEvery: Int)
    throws(ParseError) -> SymbolTable
  {
    var publics: [SymbolTable.Public] = []
    for symbol in try pdb.publicSymbols() {
      guard let rva = pdb.rva(segment: symbol.segment, offset: symbol.offset) else { continue }
      // PUBSYMFLAGS (microsoft-pdb cvinfo.h): 0x1 code, 0x2 function. C++ names are shown
      // undecorated, as WinDbg shows them in frames (`std::exception::what`).
      let name =
        symbol.name.hasPrefix("?")
        ? MSVCDemangler.demangle(symbol.name)?.name ?? symbol.name
        : symbol.name
      publics.append(
        SymbolTable.Public(
          rva: rva, parameterSize: 0, name: name, isCode: symbol.flags & 0x3 != 0))
    }
    // Stable order: by address, then name (aliases at one address stay deterministic).
    publics.sort { ($0.rva, $0.name) < ($1.rva, $1.name) }

    // Module index alongside each function and line: identical-code folding puts procedures of
    // several modules at one address, and a function keeps the lines of its own module only.
    var functions: [(function: SymbolTable.Function, module: Int)] = []
    var lines: [ModuleLine] = []
    var files: [String] = []
    var fileIndex: [String: Int] = [:]
    // Inline ranges by (procedure RVA, module), attached to the function that survives folding.
    var inlineRanges: [InlineKey: [SymbolTable.Inline]] = [:]
    func fileNumber(_ name: String) -> Int {
      if let known = fileIndex[name] { return known }
      files.append(name)
      fileIndex[name] = files.count - 1
      return files.count - 1
    }
    let names = try pdb.namesTable()
    let inlinees = try pdb.inlineeNames()
    // Module streams are read once each, mostly as windows of the mapped file: without giving
    // their pages back, a PDB of hundreds of MB would end up resident whole.
    var readSinceDrop = 0
    for (moduleIndex, module) in try pdb.modules().enumerated() {
      if readSinceDrop > dropPagesEvery {
        pdb.msf.file.dropResidentPages()
        readSinceDrop = 0
      }
      // One assembly of the module stream serves procedures, lines and inline sites.
      guard let stream = try pdb.moduleStream(module, names: names) else { continue }
      readSinceDrop += module.symbolBytes + module.c11Bytes + module.c13Bytes
      for procedure in try pdb.procedures(in: stream) {
        guard procedure.length > 0,
          let rva = pdb.rva(segment: procedure.segment, offset: procedure.offset)
        else { continue }
        let function = SymbolTable.Function(
          rva: rva, size: procedure.length, parameterSize: 0, name: procedure.name, linesStart: 0,
          linesCount: 0)
        functions.append((function, moduleIndex))
      }
      for block in try pdb.lineBlocks(in: stream) {
        appendLines(
          of: block, file: fileNumber(block.file), module: moduleIndex, pdb: pdb,
          keepingEmpty: keepingEmptyLines, to: &lines)
      }
      for site in try pdb.inlineSites(in: stream, inlinees: inlinees) {
        guard let procedure = pdb.rva(segment: site.segment, offset: site.procedureOffset) else {
          continue
        }
        for range in site.ranges {
          let (rva, overflow) = procedure.addingReportingOverflow(range.start)
          guard !overflow else { continue }
          inlineRanges[InlineKey(rva: procedure, module: moduleIndex), default: []].append(
            SymbolTable.Inline(
              rva: rva, size: range.length, depth: site.depth, name: site.name, line: range.line,
              file: fileNumber(range.file)))
        }
      }
    }
    // ICF folds identical functions onto one address; keep one name per address, deterministically.
    functions.sort { ($0.function.rva, $0.function.name) < ($1.function.rva, $1.function.name) }
    var unique: [(function: SymbolTable.Function, module: Int)] = []
    unique.reserveCapacity(functions.count)
    for entry in functions where unique.last?.function.rva != entry.function.rva {
      unique.append(entry)
    }
    // An empty entry sorts before the real one at its address, as breakpad writes them.
    lines.sort {
      ($0.rva, $0.size == 0 ? 0 : 1, $0.module, $0.line)
        < ($1.rva, $1.size == 0 ? 0 : 1, $1.module, $1.line)
    }
    functions = []
    var (sortedFunctions, ownLines) = attach(lines: lines, to: unique)
    lines = []
    var inlines: [SymbolTable.Inline] = []
    inlines.reserveCapacity(inlineRanges.values.reduce(0) { $0 + $1.count })
    for index in sortedFunctions.indices {
      let ranges =
        (inlineRanges[
          InlineKey(rva: sortedFunctions[index].rva, module: unique[index].module)] ?? []).sorted {
          ($0.rva, $0.depth) < ($1.rva, $1.depth)
        }
      sortedFunctions[index].inlinesStart = inlines.count
      sortedFunctions[index].inlinesCount = ranges.count
      sortedFunctions[index].inlinesMaxSize = ranges.map(\.size).max() ?? 0
      inlines += ranges
    }

    var table = SymbolTable(
      source: .pdb, functions: sortedFunctions, lines: ownLines, files: files, publics: publics,
      stackRecords: [])
    table.inlines = inlines
    table.os = "windows"
    table.debugID = pdb.debugIdentifier
    return table
  }

  /// Each entry covers up to the next entry, the last one to the end of the contribution. An entry
  /// followed by another at the same offset covers nothing and is dropped (llvm-symbolizer keeps
  /// the first of such a pair, DIA/.sym and symbolic the second; §9.1 recommends the second).
  private static func appendLines(
    of block: PDBLineBlock, file: Int, module: Int, pdb: PDBFile, keepingEmpty: Bool,
    to lines: inout [ModuleLine]
  ) {
    let entries = block.entries
    for index in entries.indices {
      let start = entries[index].offset
      let end = index + 1 < entries.count ? entries[index + 1].offset : block.contributionSize
      guard end > start || (keepingEmpty && end == start) else { continue }
      let (address, overflow) = block.offset.addingReportingOverflow(start)
      guard !overflow, let rva = pdb.rva(segment: block.segment, offset: address) else { continue }
      lines.append(
        ModuleLine(
          rva: rva, size: end - start, line: entries[index].line, file: UInt32(clamping: file),
          module: UInt32(clamping: module)))
    }
  }

  /// Gives each function the run of lines inside its range that come from its own module (when
  /// its module has none there, from any module), copied out in function order so every
  /// function's lines are one contiguous slice.
  private static func attach(
    lines: [ModuleLine],
    to functions: [(function: SymbolTable.Function, module: Int)]
  ) -> ([SymbolTable.Function], [SymbolTable.Line]) {
    // How many lines start below `bound`.
    func countBelow(_ bound: UInt64) -> Int {
      guard bound > 0 else { return 0 }
      return (SortedSearch.lastIndex(in: lines, atMost: bound - 1) { UInt64($0.rva) } ?? -1)
        + 1
    }
    var result: [SymbolTable.Function] = []
    var own: [SymbolTable.Line] = []
    result.reserveCapacity(functions.count)
    own.reserveCapacity(lines.count)
    for (function, module) in functions {
      let start = UInt64(function.rva)
      let range = countBelow(start)..<countBelow(start + UInt64(function.size))
      let module = UInt32(clamping: module)
      let fromModule = lines[range].contains { $0.module == module }
      var placed = function
      placed.linesStart = own.count
      var lastRVA: UInt32?
      for entry in lines[range] where !fromModule || entry.module == module {
        // One line per address: a second record at the same address could never be found.
        // (Empty entries, kept for export, sort first and do not count.)
        guard entry.rva != lastRVA else { continue }
        own.append(entry.tableLine)
        if entry.size > 0 { lastRVA = entry.rva }
      }
      placed.linesCount = own.count - placed.linesStart
      result.append(placed)
    }
    return (result, own)
  }
}
