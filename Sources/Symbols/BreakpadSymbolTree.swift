import ByteReader
import Foundation

/// A folder of Breakpad symbols in `SimpleSymbolSupplier` layout:
/// `<root>/<debug file>/<DEBUG ID>/<debug file without .pdb>.sym`
/// (reference/pdb-and-symbols.md §4). Lookups are case-insensitive on the debug-file and id parts,
/// since Windows-made trees vary in case.
public struct BreakpadSymbolTree: Sendable {
  public let root: String

  public init(root: String) { self.root = root }

  /// The .sym path for a module, if the tree has it.
  public func path(debugFile: String, debugID: String) -> String? {
    let file = BreakpadSymbolWriter.baseName(debugFile)
    let stem = file.lowercased().hasSuffix(".pdb") ? String(file.dropLast(4)) : file
    guard let fileDir = Self.entry(in: root, named: file),
      let idDir = Self.entry(in: "\(root)/\(fileDir)", named: debugID),
      let sym = Self.entry(in: "\(root)/\(fileDir)/\(idDir)", named: "\(stem).sym")
    else { return nil }
    return "\(root)/\(fileDir)/\(idDir)/\(sym)"
  }

  /// The table for a module, or why there is none.
  public func table(debugFile: String, debugID: String) -> Result<SymbolTable, ParseError> {
    guard let path = path(debugFile: debugFile, debugID: debugID) else {
      let file = BreakpadSymbolWriter.baseName(debugFile)
      return .failure(ParseError("symbols", "no \(file)/\(debugID) in \(root)"))
    }
    return Result { () throws(ParseError) in try BreakpadSymbolReader.read(path: path) }
  }

  /// The directory entry matching `name` case-insensitively (exact match first).
  static func entry(in directory: String, named name: String) -> String? {
    guard let dir = opendir(directory) else { return nil }
    defer { closedir(dir) }
    var fallback: String?
    while let item = readdir(dir) {
      let entry = withUnsafeBytes(of: item.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if entry == name { return entry }
      if fallback == nil && entry.lowercased() == name.lowercased() { fallback = entry }
    }
    return fallback
  }
}
