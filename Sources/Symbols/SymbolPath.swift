import ByteReader
import Foundation
import PDB

/// Where to look for symbols, written in `_NT_SYMBOL_PATH` syntax (reference/pdb-and-symbols.md §5):
/// `;`-separated entries; `srv*DIR*DIR*…` and `symsrv*symsrv.dll*…` list stores, `cache*DIR` adds
/// a store that also receives expanded compressed files, anything else is a plain folder (searched
/// as a store, then flat: `DIR/name.pdb`, `DIR/name.sym`).
///
/// crashsift works offline: `http://` and `https://` stores are kept as `remote` and named in the
/// error when a module is not found locally, never silently dropped.
public struct SymbolPath: Sendable, Equatable {
  public enum Location: Sendable, Equatable {
    case store(String)
    case folder(String)
    case remote(String)
  }

  public var locations: [Location]
  /// Where compressed store files are expanded: the first `cache*DIR`, else `defaultCache`.
  public var cache: String?

  /// Parses `text`; empty elements (`srv**url`, WinDbg's "default downstream store") are skipped.
  public init(parsing text: String, defaultCache: String? = nil) {
    var locations: [Location] = []
    var cache: String?
    func add(_ element: Substring, asStore: Bool) {
      let item = element.trimmingCharacters(in: .whitespaces)
      guard !item.isEmpty else { return }
      let lower = item.lowercased()
      if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
        locations.append(.remote(item))
      } else {
        locations.append(asStore ? .store(item) : .folder(item))
      }
    }
    for entry in text.split(separator: ";") {
      let parts = entry.split(separator: "*", omittingEmptySubsequences: false)
      let head = parts.first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
      switch head {
      case "srv":
        for part in parts.dropFirst() { add(part, asStore: true) }
      case "symsrv":
        // `symsrv*symsrv.dll*DIR*…`: the second element names the DLL.
        for part in parts.dropFirst(2) { add(part, asStore: true) }
      case "cache":
        for part in parts.dropFirst() {
          let dir = part.trimmingCharacters(in: .whitespaces)
          if cache == nil && !dir.isEmpty { cache = dir }
          add(part, asStore: true)
        }
      default:
        add(entry, asStore: false)
      }
    }
    self.locations = locations
    self.cache = cache ?? defaultCache
  }

  /// The user's symbol cache for expanded `.pd_` files: `$XDG_CACHE_HOME/crashsift/symbols`, else
  /// `~/.cache/crashsift/symbols`.
  public static var userCache: String {
    let environment = ProcessInfo.processInfo.environment
    if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return "\(xdg)/crashsift/symbols" }
    return "\(NSHomeDirectory())/.cache/crashsift/symbols"
  }

  /// An image stored under its timestamp and size in one of the stores or folders.
  public func imagePath(name: String, timeDateStamp: UInt32, sizeOfImage: UInt32) -> String? {
    for location in locations {
      switch location {
      case .store(let dir), .folder(let dir):
        if let path = SymbolTree(root: dir, cache: cache).imagePath(
          name: name, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
        {
          return path
        }
      case .remote: continue
      }
    }
    return nil
  }

  /// The first location's table for a module, or every reason none served it.
  public func table(debugFile: String, debugID: String) -> Result<SymbolTable, ParseError> {
    var reasons: [String] = []
    for location in locations {
      switch location {
      case .store(let dir):
        let tree = SymbolTree(root: dir, cache: cache)
        guard tree.path(debugFile: debugFile, debugID: debugID) != nil else { continue }
        switch tree.table(debugFile: debugFile, debugID: debugID) {
        case .success(let table): return .success(table)
        case .failure(let error): reasons.append(error.description)
        }
      case .folder(let dir):
        let tree = SymbolTree(root: dir, cache: cache)
        if tree.path(debugFile: debugFile, debugID: debugID) != nil {
          switch tree.table(debugFile: debugFile, debugID: debugID) {
          case .success(let table): return .success(table)
          case .failure(let error): reasons.append(error.description)
          }
        } else {
          switch Self.flat(dir, debugFile: debugFile, debugID: debugID, cache: cache) {
          case .success(let table?): return .success(table)
          case .success(nil): break
          case .failure(let error): reasons.append(error.description)
          }
        }
      case .remote(let url):
        reasons.append("\(url) skipped: crashsift works offline (mirror the store to a folder)")
      }
    }
    let file = BreakpadSymbolWriter.baseName(debugFile)
    let searched = locations.compactMap { location -> String? in
      switch location {
      case .store(let dir), .folder(let dir): return dir
      case .remote: return nil
      }
    }
    var message =
      "no \(file)/\(debugID) in \(searched.isEmpty ? "(no local folder)" : searched.joined(separator: ", "))"
    if !reasons.isEmpty { message += "; " + reasons.joined(separator: "; ") }
    return .failure(ParseError("symbols", message))
  }

  /// `DIR/<name>.sym` or `DIR/<name>.pdb`, accepted only when its identity is `debugID`.
  private static func flat(_ dir: String, debugFile: String, debugID: String, cache: String?)
    -> Result<SymbolTable?, ParseError>
  {
    let file = BreakpadSymbolWriter.baseName(debugFile)
    let stem = file.lowercased().hasSuffix(".pdb") ? String(file.dropLast(4)) : file
    let store = DerivedTableStore(cache: cache)
    return Result { () throws(ParseError) -> SymbolTable? in
      if let sym = SymbolTree.entry(in: dir, named: "\(stem).sym") {
        let path = "\(dir)/\(sym)"
        let table = try store.table(for: path) { () throws(ParseError) in
          try BreakpadSymbolReader.read(path: path)
        }
        if table.debugID?.uppercased() == debugID.uppercased() { return table }
      }
      if file.lowercased().hasSuffix(".pdb"), let name = SymbolTree.entry(in: dir, named: file) {
        let path = "\(dir)/\(name)"
        let table = try store.table(for: path) { () throws(ParseError) in
          try PDBSymbolTable.read(try PDBFile(path: path))
        }
        if table.debugID?.uppercased() == debugID.uppercased() { return table }
      }
      return nil
    }
  }
}
