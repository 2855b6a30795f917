import Minidump
import Symbols

/// Where an address lands: module + offset, and with symbols function + offset and source line,
/// written the way WinDbg and breakpad print a frame.
public struct CrashLocation: Codable, Sendable, Equatable {
  public var module: String?
  /// Offset from the module base.
  public var moduleOffset: UInt64?
  public var function: String?
  /// Offset from the function (or public) start.
  public var functionOffset: UInt64?
  public var file: String?
  public var line: UInt32?
  /// Offset from the start of the line's code, as breakpad prints `[file : line + 0x3]`.
  public var lineOffset: UInt64?
  /// Functions inlined at the address, innermost first, as `name [file : line]`.
  public var inlines: [String] = []
  /// Why there is no function name, when there is none.
  public var missingSymbols: String?
  /// Whether adding symbols could name it: the module identifies its PDB but no table was found
  /// (as opposed to no module, no CodeView record, or a table that does not cover the address).
  public var awaitsSymbols = false
  /// The lookup that names this module's frames (whether or not it found a table): what a
  /// deferred dump waits for, and what the report says answered.
  public var lookup: SymbolLookup?

  // `lookup` stays out of JSON: it is the checkpoint's business, and the published schemas of
  // `analyze --json` do not carry it.
  enum CodingKeys: String, CodingKey {
    case module, moduleOffset, function, functionOffset, file, line, lineOffset, inlines
    case missingSymbols, awaitsSymbols
  }

  public init(module: String? = nil, moduleOffset: UInt64? = nil, missingSymbols: String? = nil) {
    self.module = module
    self.moduleOffset = moduleOffset
    self.missingSymbols = missingSymbols
  }

  /// `module!function+0xoff [file : line]`, `module+0xoff`, or the bare address.
  public var text: String { text(windbgModuleName: false) }

  /// `windbgModuleName`: name the module as WinDbg does, without its extension (`amdppm!…` for
  /// amdppm.sys); otherwise as breakpad does, by file name (`test_app.exe!…`).
  /// `lineSeparator`: `:` as breakpad prints `[file : line]`, `@` as WinDbg's `kv` does.
  public func text(windbgModuleName: Bool, lineSeparator: String = ":") -> String {
    guard var module else { return "(no module)" }
    if windbgModuleName, !module.hasPrefix("<") { module = ThreadStack.stem(module) }
    guard let function, let functionOffset else {
      return "\(module)+0x\(String(moduleOffset ?? 0, radix: 16))"
    }
    var out = "\(module)!\(function)+0x\(String(functionOffset, radix: 16))"
    if let file, let line { out += " [\(file) \(lineSeparator) \(line)]" }
    return out
  }

  /// Locates `address` among a minidump's modules and, when `symbols` finds the module's .sym or PDB,
  /// names the function and line. `isReturnAddress`: look up at address − 1 (caller frames).
  public static func locate(
    _ address: UInt64, in modules: [MinidumpModule], symbols: SymbolTableCache?,
    isReturnAddress: Bool = false
  ) -> CrashLocation {
    guard let module = modules.first(where: { address >= $0.baseOfImage && address < $0.end })
    else {
      return CrashLocation(missingSymbols: "no module contains the address")
    }
    let offset = address - module.baseOfImage
    var location = CrashLocation(module: module.baseName, moduleOffset: offset)
    // Without a CodeView record no symbol path can help, so that is checked first.
    guard let debugFile = module.debugFile, let debugID = module.codeView?.debugIdentifier else {
      location.missingSymbols = "\(module.baseName) has no CodeView record"
      return location
    }
    location.lookup = .debug(file: debugFile, id: debugID)
    guard let symbols else {
      location.missingSymbols = "no symbol path given"
      location.awaitsSymbols = true
      return location
    }
    switch symbols.table(debugFile: debugFile, debugID: debugID) {
    case .failure(let error):
      location.missingSymbols = error.description
      location.awaitsSymbols = true
    case .success(let table):
      location.name(with: table, offset: offset, isReturnAddress: isReturnAddress)
    }
    return location
  }

  /// Fills function, offset, line and inline chain from `table` for `offset` into the module, or
  /// says why nothing covers it.
  public mutating func name(with table: SymbolTable, offset: UInt64, isReturnAddress: Bool = false)
  {
    let probe = UInt32(truncatingIfNeeded: isReturnAddress && offset > 0 ? offset - 1 : offset)
    guard offset <= UInt64(UInt32.max), let hit = table.lookup(probe) else {
      missingSymbols = "no function or public covers +0x\(String(offset, radix: 16))"
      return
    }
    function = hit.name
    functionOffset = offset - UInt64(hit.symbolRVA)
    file = hit.file
    line = hit.line
    lineOffset = hit.lineRVA.map { offset &- UInt64($0) }
    inlines = hit.inlines.map { "\($0.name) [\($0.file ?? "??") : \($0.line)]" }
    missingSymbols = nil
  }
}
