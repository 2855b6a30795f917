import ByteReader
import CodeView
import PDB
import PEImage

/// Writes Breakpad `.sym` text (google/breakpad `docs/symbol_files.md`).
public enum BreakpadSymbolWriter {
  /// The `.sym` of an image whose PDB is not available, as breakpad's `dump_syms` writes it for
  /// Windows x64: `MODULE` and `INFO CODE_ID` lines, then one coarse `STACK CFI` pair per
  /// `.pdata` entry (reference/minidump.md §3.1): the CFA is RSP plus everything the prologue
  /// pushed and allocated along the unwind chain plus the return address, the return address sits
  /// just below the CFA. No per-instruction rows, no saved-register rules, like breakpad.
  public static func peOnly(_ image: PEImage, fileName: String) throws(ParseError) -> String {
    var lines: [String] = []
    let codeView = try image.codeView()
    let debugID = codeView?.debugIdentifier?.uppercased() ?? "000000000000000000000000000000000"
    let debugFile = codeView?.pdbFileName.map(baseName) ?? fileName
    lines.append("MODULE windows \(image.cpuName) \(debugID) \(debugFile)")
    lines.append("INFO CODE_ID \(image.codeIdentifier) \(fileName)")
    for line in try stackCFI(image) { lines.append(line) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The coarse STACK CFI records of every x64 `.pdata` entry.
  public static func stackCFI(_ image: PEImage) throws(ParseError) -> [String] {
    var lines: [String] = []
    for function in try image.runtimeFunctions() {
      let chain = try image.unwindChain(function)
      var stackSize: UInt64 = 8
      var returnAddressOffset: UInt64 = 8
      for info in chain {
        stackSize += info.stackAllocation
        for code in info.codes where code.operation == UnwindInfo.pushMachineFrame {
          // The machine frame's RIP is its lowest slot, above the optional error code.
          returnAddressOffset += code.info == 0 ? 40 : 48
        }
      }
      let begin = String(function.begin, radix: 16)
      let length = String(function.end &- function.begin, radix: 16)
      lines.append(
        "STACK CFI INIT \(begin) \(length) .cfa: $rsp .ra: .cfa \(returnAddressOffset) - ^")
      lines.append("STACK CFI \(begin) .cfa: $rsp \(stackSize) +")
    }
    return lines
  }

  /// A `.sym` for a PDB (and its image, for `INFO CODE_ID` and x64 `STACK CFI`), in the layout
  /// breakpad's `dump_syms` writes: MODULE, INFO, FILE, FUNC with their line records, PUBLIC for
  /// the publics no FUNC starts at, then STACK CFI. Names follow DIA where crashsift knows how:
  /// C++ functions get their parameters from the decorated public at their address
  /// (`C::h(C const &)`), x64 C names lose one leading `_`, x86 publics lose their decoration and
  /// take their parameter size from it (`_RtlUnwind@16` → `10 RtlUnwind`), file-local functions
  /// are named from their type (`static int f(char *)`), x86 frame data and FPO records become
  /// STACK WIN, FILE ids follow DIA's numbering, empty line entries are kept, and an image
  /// reordered after linking has every function, line and frame record mapped piece by piece
  /// (`OMAPRangeMapper`). Not written: INLINE records.
  public static func export(
    pdb: PDBFile, pdbName: String, image: PEImage? = nil, imageName: String? = nil
  ) throws(ParseError) -> String {
    let table = try PDBSymbolTable.read(pdb, keepingEmptyLines: true)
    let x86 = pdb.machine == 0x14C
    let cpu: String
    switch pdb.machine {
    case 0x14C: cpu = "x86"
    case 0xAA64: cpu = "arm64"
    case 0x1C0, 0x1C4: cpu = "arm"
    default: cpu = "x86_64"
    }
    // Decorated C++ names and how many publics / procedures share each address.
    var decorated: [UInt32: String] = [:]
    var publicsAt: [UInt32: Int] = [:]
    var publicNames: [UInt32: Set<String>] = [:]
    var parameterSizes: [UInt32: UInt32] = [:]
    // DIA lists the publics of code sections, with or without the code/function flags.
    var codePublics: [(rva: UInt32, name: String, linked: UInt32)] = []
    // Keyed by the address as linked (the same as the final one without OMAP), so functions an
    // OMAP moved or cut still find their publics.
    for symbol in try pdb.publicSymbols() {
      guard let linked = pdb.linkedRVA(segment: symbol.segment, offset: symbol.offset) else {
        continue
      }
      publicsAt[linked, default: 0] += 1
      publicNames[linked, default: []].insert(symbol.name)
      if x86, !symbol.name.hasPrefix("?") {
        // stdcall/fastcall decoration: the function's parameter bytes (`_f@12`).
        let size = undecoratedC(symbol.name).1
        if size > 0 { parameterSizes[linked] = size }
      }
      if symbol.name.hasPrefix("?"), decorated[linked] == nil { decorated[linked] = symbol.name }
      let section = Int(symbol.segment) - 1
      if symbol.flags & 0x3 != 0
        || (section >= 0 && section < pdb.sectionIsCode.count && pdb.sectionIsCode[section])
      {
        codePublics.append((linked, symbol.name, linked))
      }
    }
    // One pass over the modules, each stream assembled once: procedures, source files and, for
    // a reordered image (OMAP), the line entries at their linked addresses — there functions,
    // lines and frame records are mapped piece by piece from their linked ranges.
    let mapper = OMAPRangeMapper(pdb)
    var proceduresAt: [UInt32: Int] = [:]
    var procedureAt: [UInt32: PDBProcedure] = [:]
    var allProcedures: [(linked: UInt32, procedure: PDBProcedure)] = []
    var sourceFiles: [String] = []
    var linkedLines: [(linked: UInt32, size: UInt32, line: UInt32, file: String)] = []
    let names = try pdb.namesTable()
    for module in try pdb.modules() {
      guard let stream = try pdb.moduleStream(module, names: names) else { continue }
      for procedure in try pdb.procedures(in: stream) {
        if let linked = pdb.linkedRVA(segment: procedure.segment, offset: procedure.offset) {
          proceduresAt[linked, default: 0] += 1
          if procedureAt[linked] == nil { procedureAt[linked] = procedure }
          if procedure.length > 0 { allProcedures.append((linked, procedure)) }
        }
      }
      sourceFiles += stream.sourceFiles
      guard mapper != nil else { continue }
      for block in try pdb.lineBlocks(in: stream) {
        for (index, entry) in block.entries.enumerated() {
          let end =
            index + 1 < block.entries.count
            ? block.entries[index + 1].offset : block.contributionSize
          guard end >= entry.offset,
            let linked = pdb.linkedRVA(segment: block.segment, offset: block.offset &+ entry.offset)
          else { continue }
          linkedLines.append((linked, end - entry.offset, entry.line, block.file))
        }
      }
    }
    linkedLines.sort {
      ($0.linked, $0.size == 0 ? 0 : 1, $0.line) < ($1.linked, $1.size == 0 ? 0 : 1, $1.line)
    }
    let typeNames = try PDBTypePrinter(pdb)

    var lines = ["MODULE windows \(cpu) \(pdb.debugIdentifier) \(pdbName)"]
    if let image, let imageName {
      lines.append("INFO CODE_ID \(image.codeIdentifier.uppercased()) \(imageName)")
    }
    // FILE ids as DIA numbers them: every module's source files (its checksum table) in module
    // order, one id per entry; a name seen before (case-insensitively) keeps its first id and is
    // not written again.
    var fileIDs: [String: Int] = [:]
    var nextID = 1
    for name in sourceFiles {
      defer { nextID += 1 }
      let key = name.lowercased()
      guard fileIDs[key] == nil else { continue }
      fileIDs[key] = nextID
      lines.append("FILE \(nextID) \(name)")
    }
    // Files only the line tables name (a module without a checksum table) get ids after those.
    func fileID(named name: String) -> Int {
      let key = name.lowercased()
      if let id = fileIDs[key] { return id }
      fileIDs[key] = nextID
      lines.append("FILE \(nextID) \(name)")
      nextID += 1
      return nextID - 1
    }
    func fileID(_ index: Int) -> Int { fileID(named: table.files[index]) }
    // FUNC (with their line records) and PUBLIC records, merged by address as breakpad orders
    // them: by the address in the image as linked, which OMAP may have moved.
    var records: [(linked: UInt32, lines: [String])] = []
    var starts = Set<UInt32>()
    // Without OMAP, the table's functions (linked = final addresses). With it, every procedure,
    // one per linked address (identical-code folding keeps the first by name, as the table does),
    // including those whose first byte the reordering dropped.
    var entries: [(linked: UInt32, name: String, function: SymbolTable.Function?)] = []
    if mapper == nil {
      entries = table.functions.map { ($0.rva, $0.name, $0) }
    } else {
      allProcedures.sort { ($0.linked, $0.procedure.name) < ($1.linked, $1.procedure.name) }
      for entry in allProcedures where entries.last?.linked != entry.linked {
        entries.append((entry.linked, entry.procedure.name, nil))
      }
    }
    for entry in entries {
      var name = entry.name
      let procedure = procedureAt[entry.linked]
      if let procedure, procedure.isLocal,
        let (returns, parameters) = typeNames.function(procedure.typeIndex)
      {
        // DIA names file-local functions from their type: `static int f(char *)`.
        name = "static \(returns) \(procedure.name)(\(parameters))"
      } else if let mangled = decorated[entry.linked],
        let signature = MSVCDemangler.demangle(mangled)?.signature
      {
        name = signature
      } else if x86, publicNames[entry.linked]?.contains(entry.name) == true {
        // Assembly procedures carry their decorated public name (`@_EH4_LocalUnwind@16`);
        // DIA shows it undecorated.
        name = undecoratedC(name).0
      } else if !x86 && name.hasPrefix("_") && !name.contains("::") {
        // Observed in breakpad's DIA output: x64 C names lose one leading `_`, x86 ones keep it.
        name.removeFirst()
      }
      let multiple = (proceduresAt[entry.linked] ?? 1) > 1 ? "m " : ""
      let parameterSize = parameterSizes[entry.linked] ?? entry.function?.parameterSize ?? 0
      let linked = entry.linked
      var record: [String] = []
      if let mapper, let procedure {
        // One FUNC per piece the function became, then all its lines, each mapped likewise.
        for piece in mapper.map(linked, length: procedure.length) {
          starts.insert(piece.rva)
          record.append(
            "FUNC \(multiple)\(hex(piece.rva)) \(hex(piece.length)) \(hex(parameterSize)) \(name)")
        }
        let end = UInt64(linked) + UInt64(procedure.length)
        let first =
          linked == 0
          ? 0
          : (SortedSearch.lastIndex(in: linkedLines, atMost: UInt64(linked) - 1) {
            UInt64($0.linked)
          } ?? -1) + 1
        var lastAddress: UInt32?
        for line in linkedLines[first...] {
          guard UInt64(line.linked) < end else { break }
          // One line per address, as in the table; empty entries precede and do not count.
          guard line.linked != lastAddress else { continue }
          if line.size > 0 { lastAddress = line.linked }
          for piece in mapper.map(line.linked, length: line.size) {
            record.append(
              "\(hex(piece.rva)) \(hex(piece.length)) \(line.line) \(fileID(named: line.file))")
          }
        }
      } else if let function = entry.function {
        starts.insert(function.rva)
        record.append(
          "FUNC \(multiple)\(hex(function.rva)) \(hex(function.size)) \(hex(parameterSize)) \(name)"
        )
        for line in table.lines[function.linesStart..<(function.linesStart + function.linesCount)] {
          record.append("\(hex(line.rva)) \(hex(line.size)) \(line.line) \(fileID(line.file))")
        }
      }
      records.append((linked, record))
    }
    // Publics at their final address: through OMAP's first piece when the image was reordered
    // (a public whose byte was dropped is not written).
    codePublics = codePublics.compactMap { symbol in
      let rva =
        mapper.map { $0.map(symbol.linked, length: 0).first?.rva } ?? pdb.mapped(symbol.linked)
      return rva.map { ($0, symbol.name, symbol.linked) }
    }
    var written = Set<UInt32>()
    codePublics.sort { ($0.rva, $0.name) < ($1.rva, $1.name) }
    // A public where a function starts (as linked, or where one of its pieces starts) is that
    // function.
    let linkedStarts = Set(entries.map(\.linked))
    for symbol in codePublics
    where !starts.contains(symbol.rva) && !linkedStarts.contains(symbol.linked)
      && written.insert(symbol.rva).inserted
    {
      var name = symbol.name
      var parameterSize: UInt32 = 0
      if name.hasPrefix("?") {
        name = MSVCDemangler.demangle(name)?.name ?? name
      } else if x86 {
        (name, parameterSize) = undecoratedC(name)
      }
      let multiple = (publicsAt[symbol.linked] ?? 1) > 1 ? "m " : ""
      records.append(
        (symbol.linked, ["PUBLIC \(multiple)\(hex(symbol.rva)) \(hex(parameterSize)) \(name)"]))
    }
    // A FUNC and a PUBLIC never share an address (publics at FUNC starts are skipped).
    records.sort { $0.linked < $1.linked }
    for record in records { lines.append(contentsOf: record.lines) }
    if x86 {
      // STACK WIN <type> <rva> <size> <prolog> <epilog> <params> <saved regs> <locals>
      // <max stack> <has program> <program | allocates base pointer>; numbers in hex.
      for record in try pdb.frameRecords() {
        // In a reordered image the prolog and the body are mapped apart. When each is one piece
        // and they still touch, the frame keeps one record; otherwise every piece of the prolog
        // is a record whose prolog is the whole piece, and every piece of the body one with no
        // prolog (what breakpad writes for its OMAP fixtures).
        var ranges: [(rva: UInt32, length: UInt32, prolog: UInt32)] = []
        if let mapper {
          let prologSize = min(record.prologSize, record.codeSize)
          let prolog = prologSize > 0 ? mapper.map(record.rva, length: prologSize) : []
          let body = mapper.map(record.rva &+ prologSize, length: record.codeSize - prologSize)
          if prolog.count <= 1, body.count == 1,
            prolog.first.map({ $0.rva &+ $0.length == body[0].rva }) ?? true
          {
            let start = prolog.first?.rva ?? body[0].rva
            let prologLength = prolog.first?.length ?? 0
            ranges = [(start, prologLength &+ body[0].length, prologLength)]
          } else {
            ranges =
              prolog.map { ($0.rva, $0.length, $0.length) } + body.map { ($0.rva, $0.length, 0) }
          }
        } else if let rva = pdb.mapped(record.rva) {
          ranges = [(rva, record.codeSize, record.prologSize)]
        }
        for range in ranges {
          let fields = [
            range.rva, range.length, range.prolog, 0, record.parameterSize,
            record.savedRegisterSize, record.localSize, record.maxStackSize,
          ].map(hex).joined(separator: " ")
          let tail =
            record.program.map { "1 \($0)" } ?? "0 \(record.allocatesBasePointer ? 1 : 0)"
          lines.append("STACK WIN \(record.type) \(fields) \(tail)")
        }
      }
    }
    if let image, pdb.machine == 0x8664 {
      lines.append(contentsOf: try stackCFI(image))
    }
    return lines.joined(separator: "\n") + "\n"
  }

  /// An x86 C name without its decoration: `_f` (cdecl), `_f@12` (stdcall), `@f@12` (fastcall),
  /// and the bytes of parameters passed on the stack: the `@N`, less the 8 that fastcall passes
  /// in ECX and EDX (what breakpad's FUNC and PUBLIC records show).
  static func undecoratedC(_ name: String) -> (String, UInt32) {
    guard let first = name.first, first == "_" || first == "@" else { return (name, 0) }
    var body = name.dropFirst()
    var size: UInt32 = 0
    if let at = body.lastIndex(of: "@"), let value = UInt32(body[body.index(after: at)...]) {
      size = first == "@" ? (value > 8 ? value - 8 : 0) : value
      body = body[..<at]
    } else if first == "@" {
      return (name, 0)
    }
    return (String(body), size)
  }

  static func hex(_ value: UInt32) -> String { String(value, radix: 16) }

  /// The last component of a Windows or POSIX path.
  public static func baseName(_ path: String) -> String {
    path.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? path
  }
}
