/// One module's symbols, from a PDB, a Breakpad .sym file or PE exports, kept as sorted arrays so a
/// lookup is a binary search and the table can be stored and reused per debug id.
public struct SymbolTable: Sendable, Equatable {
  /// A function with its address range and the slice of `lines` that belongs to it.
  public struct Function: Sendable, Equatable {
    public var rva: UInt32
    public var size: UInt32
    public var parameterSize: UInt32
    /// The longest of the inline ranges: how far back a lookup must scan from its binary search.
    public var inlinesMaxSize: UInt32 = 0
    public var name: String
    // Slices held in 32 bits (48-byte records, not 72): a big PDB has hundreds of thousands of
    // functions, and no table has 2^32 lines or inline ranges (counts are checked on decode).
    private var lineStart: UInt32
    private var lineCount: UInt32
    private var inlineStart: UInt32 = 0
    private var inlineCount: UInt32 = 0

    public init(
      rva: UInt32, size: UInt32, parameterSize: UInt32, name: String, linesStart: Int,
      linesCount: Int
    ) {
      self.rva = rva
      self.size = size
      self.parameterSize = parameterSize
      self.name = name
      lineStart = UInt32(clamping: linesStart)
      lineCount = UInt32(clamping: linesCount)
    }

    public var linesStart: Int {
      get { Int(lineStart) }
      set { lineStart = UInt32(clamping: newValue) }
    }
    public var linesCount: Int {
      get { Int(lineCount) }
      set { lineCount = UInt32(clamping: newValue) }
    }
    /// The slice of `inlines` inside this function (PDB inline sites), sorted by RVA.
    public var inlinesStart: Int {
      get { Int(inlineStart) }
      set { inlineStart = UInt32(clamping: newValue) }
    }
    public var inlinesCount: Int {
      get { Int(inlineCount) }
      set { inlineCount = UInt32(clamping: newValue) }
    }
  }

  /// A run of inlined code: `size` bytes at `rva` come from `line` of `files[file]` in
  /// `inlineNames[nameIndex]`, inlined `depth` levels deep (1 = directly into the function).
  /// 24 bytes: a big PDB has millions, and names are shared by every site of one inlinee.
  public struct Inline: Sendable, Equatable {
    public var rva: UInt32
    public var size: UInt32
    public var depth: UInt32
    public var line: UInt32
    /// Index into `files` (out of range: no file).
    public var file: UInt32
    /// Index into `inlineNames` (out of range: no name).
    public var nameIndex: UInt32
  }

  /// One inlined frame at an address.
  public struct InlineFrame: Sendable, Equatable {
    public var name: String
    public var file: String?
    public var line: UInt32
  }

  /// A source line record: `size` bytes at `rva` come from `line` of `files[file]`.
  public struct Line: Sendable, Equatable {
    public var rva: UInt32
    public var size: UInt32
    public var line: UInt32
    /// Held in 32 bits so a record takes 16 bytes, not 24: a big PDB has millions of them.
    private var fileID: UInt32

    /// The index into `files`. An id no file can have (negative, or past `UInt32.max`, which a
    /// damaged .sym may write) is kept as `UInt32.max`: out of range, so the line has no file.
    public var file: Int {
      get { Int(fileID) }
      set { fileID = Self.fileID(newValue) }
    }

    public init(rva: UInt32, size: UInt32, line: UInt32, file: Int) {
      self.rva = rva
      self.size = size
      self.line = line
      fileID = Self.fileID(file)
    }

    private static func fileID(_ file: Int) -> UInt32 { file < 0 ? .max : UInt32(clamping: file) }
  }

  /// A public symbol (no size): WinDbg's fallback, `module!Name+0xoffset`.
  public struct Public: Sendable, Equatable {
    public var rva: UInt32
    public var parameterSize: UInt32
    public var name: String
    /// False for data publics (a PDB's S_PUB32 without the code or function flag: strings,
    /// GUIDs, globals), which must not make an address look like code.
    public var isCode = true
  }

  /// Where the table came from.
  public enum Source: String, Sendable, Equatable { case pdb, breakpad, exports }

  public var source: Source
  /// `MODULE` identity when known.
  public var os: String?
  public var cpu: String?
  public var debugID: String?
  public var debugFile: String?
  public var codeID: String?
  // The arrays below are empty in a table opened from its archive (`mapped`), which answers
  // lookups from the archive instead; `materialized` gives a copy with them filled.
  /// Functions sorted by RVA.
  public var functions: [Function]
  /// Line records, grouped by function, sorted by RVA within each.
  public var lines: [Line]
  /// File names by id (Breakpad FILE numbers; gaps are empty strings).
  public var files: [String]
  /// Publics sorted by RVA.
  public var publics: [Public]
  /// Inline ranges, grouped by function.
  public var inlines: [Inline] = []
  /// The names inline ranges refer to, each once.
  public var inlineNames: [String] = []
  /// `STACK CFI` and `STACK WIN` records, kept verbatim for the unwinder.
  public var stackRecords: [String]

  /// About how many bytes of memory the table holds: its arrays, plus the names too long to be
  /// stored inline in a `String` (more than 15 UTF-8 bytes) with their allocation headers.
  public var estimatedBytes: Int {
    func heap(_ text: String) -> Int {
      let count = text.utf8.count
      return count > 15 ? count + 32 : 0
    }
    var bytes =
      functions.count * MemoryLayout<Function>.stride + lines.count * MemoryLayout<Line>.stride
      + inlines.count * MemoryLayout<Inline>.stride + publics.count * MemoryLayout<Public>.stride
      + (files.count + stackRecords.count + inlineNames.count) * MemoryLayout<String>.stride
    for function in functions { bytes += heap(function.name) }
    for symbol in publics { bytes += heap(symbol.name) }
    for file in files { bytes += heap(file) }
    for name in inlineNames { bytes += heap(name) }
    for record in stackRecords { bytes += heap(record) }
    return bytes
  }

  /// What an address resolves to.
  public struct Lookup: Sendable, Equatable {
    public var name: String
    /// Start of the function or public.
    public var symbolRVA: UInt32
    public var file: String?
    public var line: UInt32?
    /// Start of the line record, when there is one.
    public var lineRVA: UInt32?
    /// Whether this came from a public symbol rather than a sized function.
    public var isPublic: Bool
    /// Whether the symbol is code (functions always; publics per their flags).
    public var isCode = true
    /// Frames inlined at the address, innermost first; `name`/`line` stay the outer function's.
    public var inlines: [InlineFrame] = []
  }

  /// Resolves `rva`: the function containing it (with its line), else the nearest public at or
  /// below it that is above the preceding function's start (breakpad `Module::LookupAddress`).
  public func lookup(_ rva: UInt32) -> Lookup? {
    if let mapped { return mapped.lookupRecords(rva) }
    return ArrayRecords(table: self).lookupRecords(rva)
  }

  /// The table archive this table answers from, when it was opened from one
  /// (`SymbolTableArchive.open`): its arrays are then empty and lookups read the mapped records,
  /// so a table of hundreds of MB costs only the pages its lookups touch.
  public internal(set) var mapped: MappedSymbolTable?

  /// How many functions the table has (in its arrays or its archive).
  public var functionCount: Int { mapped?.functionCount ?? functions.count }
  /// How many line records the table has.
  public var lineCount: Int { mapped?.lineCount ?? lines.count }
  /// How many publics the table has.
  public var publicCount: Int { mapped?.publicCount ?? publics.count }
  /// How many inline ranges the table has.
  public var inlineCount: Int { mapped?.inlineCount ?? inlines.count }
  /// The table with its records in arrays: itself, or a copy of its archive's records.
  public var materialized: SymbolTable { mapped?.materialized() ?? self }
  /// Whether any function or public can name an address.
  public var hasSymbols: Bool { functionCount > 0 || publicCount > 0 }
}

/// The records of a table held in arrays, counted by the arrays themselves (a mapped table's
/// arrays are empty: its counts come from its archive and must never index these).
private struct ArrayRecords: SymbolRecords {
  let table: SymbolTable

  var functionCount: Int { table.functions.count }
  var lineCount: Int { table.lines.count }
  var publicCount: Int { table.publics.count }
  var inlineCount: Int { table.inlines.count }
  func functionRVA(_ index: Int) -> UInt32 { table.functions[index].rva }
  func functionSpan(_ index: Int) -> SymbolFunctionSpan {
    let function = table.functions[index]
    return SymbolFunctionSpan(
      rva: function.rva, size: function.size, linesStart: function.linesStart,
      linesCount: function.linesCount, inlinesStart: function.inlinesStart,
      inlinesCount: function.inlinesCount, inlinesMaxSize: function.inlinesMaxSize)
  }
  func functionName(_ index: Int) -> String { table.functions[index].name }
  func line(_ index: Int) -> SymbolTable.Line { table.lines[index] }
  func fileName(_ index: Int) -> String? {
    index >= 0 && index < table.files.count ? table.files[index] : nil
  }
  func publicRVA(_ index: Int) -> UInt32 { table.publics[index].rva }
  func publicSymbol(_ index: Int) -> (name: String, isCode: Bool) {
    (table.publics[index].name, table.publics[index].isCode)
  }
  func inline(_ index: Int) -> SymbolTable.Inline { table.inlines[index] }
  func inlineName(_ index: Int) -> String {
    index >= 0 && index < table.inlineNames.count ? table.inlineNames[index] : ""
  }
}
