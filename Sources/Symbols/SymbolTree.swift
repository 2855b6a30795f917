import ByteReader
import Foundation
import PDB

/// A folder of symbols keyed by debug file and debug id, in either of the two layouts that share
/// that key (reference/pdb-and-symbols.md §4, §5):
/// - Breakpad `SimpleSymbolSupplier`: `<root>/<debug file>/<DEBUG ID>/<debug file minus .pdb>.sym`;
/// - Microsoft symbol store (uncompressed): `<root>/<debug file>/<DEBUG ID>/<debug file>`, the PDB.
///
/// A .sym is preferred when both are present: it was made for this lookup and carries the
/// unwinder's STACK records. Lookups are case-insensitive on every part, since Windows-made trees
/// vary in case.
public struct SymbolTree: Sendable {
  public let root: String

  public init(root: String) { self.root = root }

  /// The symbol file for a module (.sym first, else the PDB), if the tree has one.
  public func path(debugFile: String, debugID: String) -> String? {
    let file = BreakpadSymbolWriter.baseName(debugFile)
    let stem = file.lowercased().hasSuffix(".pdb") ? String(file.dropLast(4)) : file
    guard let fileDir = Self.entry(in: root, named: file),
      let idDir = Self.entry(in: "\(root)/\(fileDir)", named: debugID)
    else { return nil }
    let folder = "\(root)/\(fileDir)/\(idDir)"
    if let sym = Self.entry(in: folder, named: "\(stem).sym") { return "\(folder)/\(sym)" }
    if file.lowercased().hasSuffix(".pdb"), let pdb = Self.entry(in: folder, named: file) {
      return "\(folder)/\(pdb)"
    }
    return nil
  }

  /// The table for a module, or why there is none. A PDB whose own identity differs from the
  /// folder's is refused: a misfiled PDB would name the wrong functions.
  public func table(debugFile: String, debugID: String) -> Result<SymbolTable, ParseError> {
    guard let path = path(debugFile: debugFile, debugID: debugID) else {
      let file = BreakpadSymbolWriter.baseName(debugFile)
      return .failure(ParseError("symbols", "no \(file)/\(debugID) (.sym or .pdb) in \(root)"))
    }
    return Result { () throws(ParseError) in
      guard path.lowercased().hasSuffix(".pdb") else {
        return try BreakpadSymbolReader.read(path: path)
      }
      let pdb = try PDBFile(path: path)
      guard pdb.debugIdentifier.uppercased() == debugID.uppercased() else {
        throw ParseError(path, "is \(pdb.debugIdentifier), not the \(debugID) the module asks for")
      }
      return try PDBSymbolTable.read(pdb)
    }
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
