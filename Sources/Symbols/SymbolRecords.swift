/// The records a lookup reads, whether they sit in arrays in memory (`SymbolTable`) or in a
/// mapped table archive (`MappedSymbolTable`): one lookup algorithm answers for both, so an
/// archive-backed table cannot drift from a derived one.
///
/// Indexes passed in are always below the matching count; implementations answer an index whose
/// record is damaged with an empty value rather than trapping.
protocol SymbolRecords {
  var functionCount: Int { get }
  func functionRVA(_ index: Int) -> UInt32
  /// The function without its name (a lookup names only the one it lands in).
  func functionSpan(_ index: Int) -> SymbolFunctionSpan
  func functionName(_ index: Int) -> String
  var lineCount: Int { get }
  func line(_ index: Int) -> SymbolTable.Line
  /// The file with this id, or `nil` when no file has it.
  func fileName(_ index: Int) -> String?
  var publicCount: Int { get }
  func publicRVA(_ index: Int) -> UInt32
  func publicSymbol(_ index: Int) -> (name: String, isCode: Bool)
  var inlineCount: Int { get }
  func inline(_ index: Int) -> SymbolTable.Inline
  /// The inlinee name with this index, or "" when none has it.
  func inlineName(_ index: Int) -> String
}

/// A function's address range and the slices of lines and inline ranges that belong to it.
struct SymbolFunctionSpan {
  var rva: UInt32
  var size: UInt32
  var linesStart: Int
  var linesCount: Int
  var inlinesStart: Int
  var inlinesCount: Int
  var inlinesMaxSize: UInt32
}

/// The most inlined frames one lookup returns.
let maxInlineFrames = 64

extension SymbolRecords {
  /// Resolves `rva`: the function containing it (with its line), else the nearest public at or
  /// below it that is above the preceding function's start (breakpad `Module::LookupAddress`).
  func lookupRecords(_ rva: UInt32) -> SymbolTable.Lookup? {
    let functionIndex = Self.lastIndex(functionCount) { functionRVA($0) <= rva }
    if let index = functionIndex {
      let function = functionSpan(index)
      if UInt64(rva) < UInt64(function.rva) + UInt64(function.size) {
        var result = SymbolTable.Lookup(
          name: functionName(index), symbolRVA: function.rva, file: nil, line: nil, lineRVA: nil,
          isPublic: false)
        // Slices outside their arrays (a damaged archive) read as empty.
        let start = function.linesStart
        if start <= lineCount, function.linesCount <= lineCount - start,
          let found = Self.lastIndex(function.linesCount, { line(start + $0).rva <= rva })
        {
          let record = line(start + found)
          if UInt64(rva) < UInt64(record.rva) + UInt64(max(record.size, 1)) {
            result.file = fileName(record.file)
            result.line = record.line
            result.lineRVA = record.rva
          }
        }
        if function.inlinesCount > 0, function.inlinesStart <= inlineCount,
          function.inlinesCount <= inlineCount - function.inlinesStart
        {
          result.inlines = inlineFrames(at: rva, in: function)
        }
        return result
      }
    }
    guard let publicIndex = Self.lastIndex(publicCount, { publicRVA($0) <= rva }) else {
      return nil
    }
    let symbolRVA = publicRVA(publicIndex)
    if let index = functionIndex, functionRVA(index) > symbolRVA { return nil }
    let symbol = publicSymbol(publicIndex)
    return SymbolTable.Lookup(
      name: symbol.name, symbolRVA: symbolRVA, file: nil, line: nil, lineRVA: nil,
      isPublic: true, isCode: symbol.isCode)
  }

  /// The inline ranges of `function` covering `rva`, innermost first. Ranges are sorted by start,
  /// so a binary search finds the last one starting at or below `rva`; overlapping ones lie at
  /// most `inlinesMaxSize` bytes before it.
  private func inlineFrames(at rva: UInt32, in function: SymbolFunctionSpan)
    -> [SymbolTable.InlineFrame]
  {
    let start = function.inlinesStart
    guard
      var index = Self.lastIndex(function.inlinesCount, { inline(start + $0).rva <= rva }).map({
        start + $0
      })
    else { return [] }
    var covering: [SymbolTable.Inline] = []
    while index >= start {
      let range = inline(index)
      guard UInt64(range.rva) + UInt64(function.inlinesMaxSize) > UInt64(rva) else { break }
      if UInt64(rva) < UInt64(range.rva) + UInt64(range.size) {
        covering.append(range)
        // Real inline chains are a few deep; a damaged table must not name thousands.
        if covering.count == maxInlineFrames { break }
      }
      index -= 1
    }
    return covering.sorted { $0.depth > $1.depth }.map {
      SymbolTable.InlineFrame(
        name: inlineName(Int($0.nameIndex)), file: fileName(Int($0.file)), line: $0.line)
    }
  }

  /// The last index in `0..<count` for which `isAtOrBelow` holds (it must hold for a prefix).
  static func lastIndex(_ count: Int, _ isAtOrBelow: (Int) -> Bool) -> Int? {
    var low = 0
    var high = count
    while low < high {
      let mid = (low + high) / 2
      if isAtOrBelow(mid) { low = mid + 1 } else { high = mid }
    }
    return low > 0 ? low - 1 : nil
  }
}
