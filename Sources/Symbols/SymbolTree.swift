import ByteReader
import Foundation
import PDB

/// A folder of symbols keyed by file name and index (debug id, or an image's timestamp and size),
/// in the layouts that share that key (reference/pdb-and-symbols.md §4, §5):
/// - Breakpad `SimpleSymbolSupplier`: `<root>/<debug file>/<DEBUG ID>/<debug file minus .pdb>.sym`;
/// - Microsoft symbol store: `<root>/<file>/<index>/<file>`, or its CAB-compressed form
///   (`.pd_`, `.ex_`, …, expanded once into `cache`), or a `file.ptr` naming the real file; with
///   `index2.txt` at the root, the two-tier form `<root>/<first two letters>/<file>/<index>/…`.
///
/// A .sym is preferred when both are present: it was made for this lookup and carries the
/// unwinder's STACK records. Lookups are case-insensitive on every part, since Windows-made trees
/// vary in case.
public struct SymbolTree: Sendable {
  public let root: String
  /// Where compressed files are expanded; `nil` skips compressed files.
  public let cache: String?

  public init(root: String, cache: String? = nil) {
    self.root = root
    self.cache = cache
  }

  /// The symbol file for a module (.sym first, else the PDB), if the tree has one.
  public func path(debugFile: String, debugID: String) -> String? {
    let file = BreakpadSymbolWriter.baseName(debugFile)
    let stem = file.lowercased().hasSuffix(".pdb") ? String(file.dropLast(4)) : file
    guard let folder = folder(file: file, index: debugID) else { return nil }
    if let sym = Self.entry(in: folder, named: "\(stem).sym") { return "\(folder)/\(sym)" }
    guard file.lowercased().hasSuffix(".pdb") else { return nil }
    return try? storedFile(file, index: debugID, in: folder)
  }

  /// An image (`.exe`, `.dll`, `.sys`) stored under its `TIMESTAMP` (8 hex digits) and
  /// `SizeOfImage` (hex), the way WinDbg fetches binaries for dumps that lack their code.
  public func imagePath(name: String, timeDateStamp: UInt32, sizeOfImage: UInt32) -> String? {
    let file = BreakpadSymbolWriter.baseName(name)
    let index = Self.imageIndex(timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
    guard let folder = folder(file: file, index: index) else { return nil }
    return try? storedFile(file, index: index, in: folder)
  }

  /// An image's store index: `TimeDateStamp` as 8 upper-case hex digits, then `SizeOfImage` in
  /// hex without leading zeros (reference §5).
  public static func imageIndex(timeDateStamp: UInt32, sizeOfImage: UInt32) -> String {
    let stamp = String(timeDateStamp, radix: 16, uppercase: true)
    return String(repeating: "0", count: 8 - stamp.count) + stamp + String(sizeOfImage, radix: 16)
  }

  /// The table for a module, or why there is none. A PDB whose own identity differs from the
  /// folder's is refused: a misfiled PDB would name the wrong functions.
  public func table(debugFile: String, debugID: String) -> Result<SymbolTable, ParseError> {
    guard let path = path(debugFile: debugFile, debugID: debugID) else {
      let file = BreakpadSymbolWriter.baseName(debugFile)
      return .failure(ParseError("symbols", "no \(file)/\(debugID) (.sym or .pdb) in \(root)"))
    }
    let store = DerivedTableStore(cache: cache)
    return Result { () throws(ParseError) in
      guard path.lowercased().hasSuffix(".pdb") else {
        return try store.table(for: path) { () throws(ParseError) in
          try BreakpadSymbolReader.read(path: path)
        }
      }
      let table = try store.table(for: path) { () throws(ParseError) in
        try PDBSymbolTable.read(try PDBFile(path: path))
      }
      let identity = table.debugID ?? "?"
      guard identity.uppercased() == debugID.uppercased() else {
        throw ParseError(path, "is \(identity), not the \(debugID) the module asks for")
      }
      return table
    }
  }

  /// The file stored under exactly `key` (a `.sym` only for a Breakpad key), if the tree has it.
  public func file(for key: SymbolStoreKey) -> String? {
    guard let folder = folder(file: key.folder, index: key.index) else { return nil }
    if key.kind == .breakpad {
      return Self.entry(in: folder, named: key.file).map { "\(folder)/\($0)" }
    }
    return try? storedFile(key.file, index: key.index, in: folder)
  }

  /// `<root>[/<xy>]/<file>/<index>`, matched case-insensitively.
  private func folder(file: String, index: String) -> String? {
    var base = root
    if Self.entry(in: root, named: "index2.txt") != nil {
      guard let tier = Self.entry(in: root, named: String(file.prefix(2))) else { return nil }
      base = "\(root)/\(tier)"
    }
    guard let fileDir = Self.entry(in: base, named: file),
      let indexDir = Self.entry(in: "\(base)/\(fileDir)", named: index)
    else { return nil }
    return "\(base)/\(fileDir)/\(indexDir)"
  }

  /// The file itself, else its compressed form expanded into the cache, else where `file.ptr`
  /// points (symsrv's probe order).
  private func storedFile(_ file: String, index: String, in folder: String) throws(ParseError)
    -> String?
  {
    if let plain = Self.entry(in: folder, named: file) { return "\(folder)/\(plain)" }
    if let cache, !file.isEmpty,
      let compressed = Self.entry(in: folder, named: String(file.dropLast()) + "_")
    {
      return try CompressedSymbolFile.expand(
        "\(folder)/\(compressed)", to: "\(cache)/\(file.lowercased())/\(index.uppercased())/\(file)"
      )
    }
    if let pointer = Self.entry(in: folder, named: "file.ptr"),
      let text = try? String(contentsOfFile: "\(folder)/\(pointer)", encoding: .utf8)
    {
      // `PATH:<path>` or a bare path; a UNC path is useless on Linux and reported as missing.
      var target = text.trimmingCharacters(in: .whitespacesAndNewlines)
      if target.hasPrefix("PATH:") { target = String(target.dropFirst(5)) }
      if FileManager.default.fileExists(atPath: target) { return target }
    }
    return nil
  }

  /// The directory entry matching `name` case-insensitively (exact match first). Names come from
  /// dumps (module and debug-file names, debug ids), so only a plain file name can match: never
  /// `.`, `..` or anything with a separator, which would lead out of the store.
  static func entry(in directory: String, named name: String) -> String? {
    guard isPlainName(name), let dir = opendir(directory) else { return nil }
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

  /// Whether `name` is usable as one path component.
  static func isPlainName(_ name: String) -> Bool {
    !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0")
  }
}
