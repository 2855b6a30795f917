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

  /// A line record with its module, while a module's lines are sorted and attached.
  private struct ModuleLine {
    var rva: UInt32
    var size: UInt32
    var line: UInt32
    var file: UInt32
    var module: UInt32
    /// Position in its module, so records with equal keys keep the PDB's order when sorted.
    var order: UInt32

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
    // Two passes over the modules keep only one module's lines and inline sites in memory at a
    // time (a 400 MB PDB has millions of lines): the first finds the procedures and, where
    // identical-code folding put several at one address, the one that keeps it; the second
    // gives each kept procedure the lines and inline sites of its own module as it reads them.
    let names = try pdb.namesTable()
    let modules = try pdb.modules()
    var pages = PageBudget(every: dropPagesEvery, file: pdb.msf.file)
    var functions: [(function: SymbolTable.Function, module: Int)] = []
    // An upper bound on the line records (8 bytes each in C13 subsections), for one allocation.
    var lineBound = 0
    // The inlinees inline sites name: only their names are decoded (a PDB has an LF_FUNC_ID for
    // every function, inlined or not).
    var inlined = Set<UInt32>()
    for (moduleIndex, module) in modules.enumerated() {
      guard let stream = try pages.stream(of: module, in: pdb, names: names) else { continue }
      lineBound = min(lineBound + module.c13Bytes / 8, pdb.msf.file.bytes.count / 8)
      for procedure in try pdb.procedures(in: stream) {
        guard procedure.length > 0,
          let rva = pdb.rva(segment: procedure.segment, offset: procedure.offset)
        else { continue }
        let function = SymbolTable.Function(
          rva: rva, size: procedure.length, parameterSize: 0, name: procedure.name, linesStart: 0,
          linesCount: 0)
        functions.append((function, moduleIndex))
      }
      try pdb.inlineeIDs(in: stream, into: &inlined)
    }
    let inlineeIDs = inlined.sorted()
    inlined = []
    // ICF folds identical functions onto one address; keep one name per address, deterministically.
    functions.sort { ($0.function.rva, $0.function.name) < ($1.function.rva, $1.function.name) }
    // The kept procedures and, apart, their modules: the procedures array becomes the table's
    // without a copy.
    var kept: [SymbolTable.Function] = []
    var keptModule: [Int32] = []
    kept.reserveCapacity(functions.count)
    keptModule.reserveCapacity(functions.count)
    for entry in functions where kept.last?.rva != entry.function.rva {
      kept.append(entry.function)
      keptModule.append(Int32(clamping: entry.module))
    }
    functions = []
    let publics = try Self.publics(of: pdb, sharingNamesWith: kept)
    // The symbol record stream's pages, read once.
    pdb.msf.file.dropResidentPages()
    // The kept procedures of each module, in address order.
    var owned = [[Int]](repeating: [], count: modules.count)
    for (index, module) in keptModule.enumerated() { owned[Int(module)].append(index) }
    // The furthest end of the kept procedures up to each index: procedures before `i` can
    // contain an address at or past `kept[i]`'s start only while this exceeds it (nesting).
    var furthestEnd: [UInt64] = []
    furthestEnd.reserveCapacity(kept.count)
    for function in kept {
      let end = UInt64(function.rva) + UInt64(function.size)
      furthestEnd.append(max(furthestEnd.last ?? 0, end))
    }
    // The kept procedure that starts last at or below `rva`.
    func lastStarting(at rva: UInt32) -> Int? {
      SortedSearch.lastIndex(in: kept, atMost: UInt64(rva), key: { UInt64($0.rva) })
    }
    // The kept procedure that starts exactly at `rva`.
    func keptProcedure(at rva: UInt32) -> Int? {
      guard let index = lastStarting(at: rva), kept[index].rva == rva else { return nil }
      return index
    }
    // Whether a kept procedure of a module other than `module` contains `rva`. Nested procedures
    // are followed back at most 64 deep, so a forged PDB nesting thousands cannot make this
    // quadratic; real PDBs do not nest them at all.
    func insideAnotherModule(_ rva: UInt32, _ module: Int) -> Bool {
      guard var index = lastStarting(at: rva) else { return false }
      var steps = 0
      while index >= 0, steps < 64, furthestEnd[index] > UInt64(rva) {
        let function = kept[index]
        if Int(keptModule[index]) != module,
          UInt64(rva) < UInt64(function.rva) + UInt64(function.size)
        {
          return true
        }
        index -= 1
        steps += 1
      }
      return false
    }

    var files: [String] = []
    var fileIndex: [String: Int] = [:]
    func fileNumber(_ name: String) -> Int {
      if let known = fileIndex[name] { return known }
      files.append(name)
      fileIndex[name] = files.count - 1
      return files.count - 1
    }
    // The table's inline names, in IPI order; a site finds its name's index by binary search.
    let inlineNames = try pdb.inlineeNames(inlineeIDs)
    func nameIndex(of inlinee: UInt32) -> UInt32 {
      guard
        let index = SortedSearch.lastIndex(
          in: inlineeIDs, atMost: UInt64(inlinee), key: { UInt64($0) }),
        inlineeIDs[index] == inlinee
      else { return .max }
      return UInt32(clamping: index)
    }
    var lines: [SymbolTable.Line] = []
    // Reserved, not touched: pages never written cost no memory. Capped at one line per 64
    // bytes of file (a 421 MB PDB has one per 100), so damaged module headers claiming gigabytes
    // reserve at most a quarter of the file's size; past the cap the array grows as usual.
    lines.reserveCapacity(min(lineBound, pdb.msf.file.bytes.count / 64))
    var inlines: [SymbolTable.Inline] = []
    // Lines inside a kept procedure of another module, for procedures whose own module has no
    // lines in their range (they take any module's there); few outside folded code.
    var foreign: [ModuleLine] = []
    var withoutOwnLines: [Int] = []
    // The second pass starts with none of the first's pages.
    pages.dropBeforeNext()
    for (moduleIndex, module) in modules.enumerated() {
      guard let stream = try pages.stream(of: module, in: pdb, names: names) else { continue }
      var moduleLines: [ModuleLine] = []
      for block in try pdb.lineBlocks(in: stream) {
        appendLines(
          of: block, file: fileNumber(block.file), module: moduleIndex, pdb: pdb,
          keepingEmpty: keepingEmptyLines, to: &moduleLines)
      }
      var sites: [(function: Int, order: Int, inline: SymbolTable.Inline)] = []
      // Named by index into `inlineNames`, not by the sites' own names.
      for site in try pdb.inlineSites(in: stream, inlinees: [:]) {
        guard let procedure = pdb.rva(segment: site.segment, offset: site.procedureOffset) else {
          continue
        }
        for range in site.ranges {
          let (rva, overflow) = procedure.addingReportingOverflow(range.start)
          guard !overflow else { continue }
          // Named before the owner check, so file numbers follow the PDB's order whatever is kept.
          let file = fileNumber(range.file)
          guard let function = keptProcedure(at: procedure),
            Int(keptModule[function]) == moduleIndex
          else { continue }
          sites.append(
            (
              function, sites.count,
              SymbolTable.Inline(
                rva: rva, size: range.length, depth: UInt32(clamping: site.depth),
                line: range.line, file: UInt32(clamping: file),
                nameIndex: nameIndex(of: site.inlinee))
            ))
        }
      }
      // An empty entry sorts before the real one at its address, as breakpad writes them; equal
      // keys keep the PDB's order.
      moduleLines.sort {
        ($0.rva, $0.size == 0 ? 0 : 1, $0.line, $0.order)
          < ($1.rva, $1.size == 0 ? 0 : 1, $1.line, $1.order)
      }
      for line in moduleLines {
        if insideAnotherModule(line.rva, moduleIndex) { foreign.append(line) }
      }
      for index in owned[moduleIndex] {
        let range = Self.range(of: kept[index], in: moduleLines)
        if range.isEmpty {
          withoutOwnLines.append(index)
          continue
        }
        kept[index].linesStart = lines.count
        Self.append(moduleLines[range], to: &lines)
        kept[index].linesCount = lines.count - kept[index].linesStart
      }
      sites.sort {
        ($0.function, $0.inline.rva, $0.inline.depth, $0.order)
          < ($1.function, $1.inline.rva, $1.inline.depth, $1.order)
      }
      var next = 0
      while next < sites.count {
        let function = sites[next].function
        kept[function].inlinesStart = inlines.count
        var maxSize: UInt32 = 0
        while next < sites.count, sites[next].function == function {
          inlines.append(sites[next].inline)
          maxSize = max(maxSize, sites[next].inline.size)
          next += 1
        }
        kept[function].inlinesCount =
          inlines.count - kept[function].inlinesStart
        kept[function].inlinesMaxSize = maxSize
      }
    }
    foreign.sort {
      ($0.rva, $0.size == 0 ? 0 : 1, $0.module, $0.line, $0.order)
        < ($1.rva, $1.size == 0 ? 0 : 1, $1.module, $1.line, $1.order)
    }
    for index in withoutOwnLines {
      kept[index].linesStart = lines.count
      Self.append(foreign[Self.range(of: kept[index], in: foreign)], to: &lines)
      kept[index].linesCount = lines.count - kept[index].linesStart
    }
    var table = SymbolTable(
      source: .pdb, functions: kept, lines: lines, files: files, publics: publics,
      stackRecords: [])
    table.inlines = inlines
    table.inlineNames = inlineNames
    table.os = "windows"
    table.debugID = pdb.debugIdentifier
    return table
  }

  /// The public symbols in address order. A public named like the procedure at its address
  /// shares that procedure's name storage: a C++ PDB has both for nearly every function.
  private static func publics(of pdb: PDBFile, sharingNamesWith functions: [SymbolTable.Function])
    throws(ParseError) -> [SymbolTable.Public]
  {
    let symbols = try pdb.publicSymbols()
    var publics: [SymbolTable.Public] = []
    publics.reserveCapacity(symbols.count)
    for symbol in symbols {
      guard let rva = pdb.rva(segment: symbol.segment, offset: symbol.offset) else { continue }
      // PUBSYMFLAGS (microsoft-pdb cvinfo.h): 0x1 code, 0x2 function. C++ names are shown
      // undecorated, as WinDbg shows them in frames (`std::exception::what`).
      var name =
        symbol.name.hasPrefix("?")
        ? MSVCDemangler.demangle(symbol.name)?.name ?? symbol.name
        : symbol.name
      // Byte equality: `==` on strings is canonical equivalence, which would swap in
      // different bytes.
      if let index = SortedSearch.lastIndex(
        in: functions, atMost: UInt64(rva), key: { UInt64($0.rva) }),
        functions[index].rva == rva, functions[index].name.utf8.elementsEqual(name.utf8)
      {
        name = functions[index].name
      }
      publics.append(
        SymbolTable.Public(
          rva: rva, parameterSize: 0, name: name, isCode: symbol.flags & 0x3 != 0))
    }
    // Stable order: by address, then name (aliases at one address stay deterministic).
    publics.sort { ($0.rva, $0.name) < ($1.rva, $1.name) }
    return publics
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
          module: UInt32(clamping: module), order: UInt32(clamping: lines.count)))
    }
  }

  /// The lines of `lines` (sorted by address) starting inside `function`.
  private static func range(of function: SymbolTable.Function, in lines: [ModuleLine])
    -> Range<Int>
  {
    // How many lines start below `bound`.
    func countBelow(_ bound: UInt64) -> Int {
      guard bound > 0 else { return 0 }
      return (SortedSearch.lastIndex(in: lines, atMost: bound - 1) { UInt64($0.rva) } ?? -1) + 1
    }
    let start = UInt64(function.rva)
    return countBelow(start)..<countBelow(start + UInt64(function.size))
  }

  /// Appends a function's lines: one per address, since a second record at the same address
  /// could never be found. (Empty entries, kept for export, sort first and do not count.)
  private static func append(_ entries: ArraySlice<ModuleLine>, to lines: inout [SymbolTable.Line])
  {
    var lastRVA: UInt32?
    for entry in entries {
      guard entry.rva != lastRVA else { continue }
      lines.append(entry.tableLine)
      if entry.size > 0 { lastRVA = entry.rva }
    }
  }

  /// Reads module streams, giving the mapped file's pages back after every `every` bytes: the
  /// streams are mostly windows of the mapping, and without this a PDB of hundreds of MB would
  /// end up resident whole.
  private struct PageBudget {
    let every: Int
    let file: MappedFile
    private var read = 0
    private var dropPending = false

    init(every: Int, file: MappedFile) {
      self.every = every
      self.file = file
    }

    mutating func dropBeforeNext() { dropPending = true }

    mutating func stream(of module: PDBModule, in pdb: PDBFile, names: ByteReader?)
      throws(ParseError) -> PDBModuleStream?
    {
      if dropPending || read > every {
        file.dropResidentPages()
        read = 0
        dropPending = false
      }
      guard let stream = try pdb.moduleStream(module, names: names) else { return nil }
      read += module.symbolBytes + module.c11Bytes + module.c13Bytes
      return stream
    }
  }
}
