import ByteReader
import Foundation
import PDB

/// Where to look for symbols, written in `_NT_SYMBOL_PATH` syntax (reference/pdb-and-symbols.md §5):
/// `;`-separated entries; `srv*DIR*DIR*…` and `symsrv*symsrv.dll*…` list stores, `cache*DIR` adds
/// a store that also receives expanded compressed files and downloads, anything else is a plain
/// folder (searched as a store, then flat: `DIR/name.pdb`, `DIR/name.sym`).
///
/// An `http://` or `https://` element is a symbol server. The local stores written before it in
/// the same `srv*` entry are its downstream caches (`srv*C1*C2*URL`: C1, then C2, then the
/// server; a download lands in C2 and is copied to C1 on the way back, as symsrv does); a server
/// with none of its own uses the first `cache*DIR`, else the default cache. Servers are asked only
/// through a `SymbolServerClient`; without one (offline) they are named in the error when a
/// module is not found locally, never silently dropped.
public struct SymbolPath: Sendable, Equatable {
  public enum Location: Sendable, Equatable {
    case store(String)
    case folder(String)
    /// A server's base URL and its downstream caches, nearest first (never empty once parsed
    /// with a default cache).
    case server(String, caches: [String])
  }

  public var locations: [Location]
  /// Where compressed store files are expanded: the first `cache*DIR`, else `defaultCache`.
  public var cache: String?

  /// Parses `text`; empty elements (`srv**url`, WinDbg's "default downstream store") are skipped.
  public init(parsing text: String, defaultCache: String? = nil) {
    var locations: [Location] = []
    var cache: String?
    // Servers without a downstream store of their own get the cache once it is known.
    var bareServers: [Int] = []
    func isURL(_ item: String) -> Bool {
      let lower = item.lowercased()
      return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }
    func addChain(_ elements: [Substring]) {
      var downstream: [String] = []
      for element in elements {
        let item = element.trimmingCharacters(in: .whitespaces)
        guard !item.isEmpty else { continue }
        if isURL(item) {
          if downstream.isEmpty { bareServers.append(locations.count) }
          locations.append(.server(item, caches: downstream))
        } else {
          locations.append(.store(item))
          downstream.append(item)
        }
      }
    }
    for entry in text.split(separator: ";") {
      let parts = entry.split(separator: "*", omittingEmptySubsequences: false)
      let head = parts.first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
      switch head {
      case "srv":
        addChain(Array(parts.dropFirst()))
      case "symsrv":
        // `symsrv*symsrv.dll*DIR*…`: the second element names the DLL.
        addChain(Array(parts.dropFirst(2)))
      case "cache":
        for part in parts.dropFirst() {
          let dir = part.trimmingCharacters(in: .whitespaces)
          if cache == nil && !dir.isEmpty { cache = dir }
        }
        addChain(Array(parts.dropFirst()))
      default:
        let item = entry.trimmingCharacters(in: .whitespaces)
        if item.isEmpty { continue }
        if isURL(item) {
          bareServers.append(locations.count)
          locations.append(.server(item, caches: []))
        } else {
          locations.append(.folder(item))
        }
      }
    }
    let resolvedCache = cache ?? defaultCache
    if let resolvedCache {
      for index in bareServers {
        guard case .server(let url, _) = locations[index] else { continue }
        locations[index] = .server(url, caches: [resolvedCache])
      }
    }
    self.locations = locations
    self.cache = resolvedCache
  }

  /// Whether any element is a symbol server.
  public var hasServers: Bool {
    locations.contains { if case .server = $0 { return true } else { return false } }
  }

  /// The user's symbol cache for expanded `.pd_` files: `$XDG_CACHE_HOME/crashsift/symbols`, else
  /// `~/.cache/crashsift/symbols`.
  public static var userCache: String {
    let environment = ProcessInfo.processInfo.environment
    if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty { return "\(xdg)/crashsift/symbols" }
    return "\(NSHomeDirectory())/.cache/crashsift/symbols"
  }

  /// Where one store key was found.
  public enum Located: Sendable, Equatable {
    /// Already on local disk (a store, a folder or a server's cache).
    case local(String)
    /// Downloaded from a server into its cache now.
    case fetched(String)
    /// Nowhere on the path; the text says where it was looked for.
    case missing(String)
    /// A server that may have it did not answer; ask again later.
    case unavailable(String)
  }

  /// The file for `key`: the local stores and server caches first, then the servers (through
  /// `client`; without one they are not asked). Files are only located or downloaded, never
  /// parsed beyond the servers' identity check, which is what `symbols fetch` needs.
  public func locate(_ key: SymbolStoreKey, client: (any SymbolServerClient)? = nil) -> Located {
    guard key.isSafe else { return .missing("\(key) is not a safe store key") }
    var reasons: [String] = []
    var unavailable = false
    // `srv*C*URL` is the store C and the server with its cache C: each folder is probed once.
    var probed: Set<String> = []
    for location in locations {
      switch location {
      case .store(let dir), .folder(let dir):
        guard probed.insert(dir).inserted else { continue }
        if let path = SymbolTree(root: dir, cache: cache).file(for: key) { return .local(path) }
      case .server(let url, let caches):
        for dir in caches where probed.insert(dir).inserted {
          if let path = SymbolTree(root: dir, cache: cache).file(for: key) { return .local(path) }
        }
        guard let client, let nearest = caches.last else {
          reasons.append("\(Self.redacted(url)) skipped (offline)")
          continue
        }
        switch client.fetch(key, from: url, into: nearest) {
        case .found(let path):
          Self.copyUpstream(path, key: key, caches: caches)
          return .fetched(path)
        case .notFound(let why): reasons.append(why)
        case .unavailable(let why):
          unavailable = true
          reasons.append(why)
        case .rejected(let why): reasons.append(why)
        }
      }
    }
    let text =
      reasons.isEmpty
      ? "\(key): not in the symbol path" : "\(key): " + reasons.joined(separator: "; ")
    return unavailable ? .unavailable(text) : .missing(text)
  }

  /// An image stored under its timestamp and size in one of the stores or folders, else fetched
  /// from the first server that has it (when `client` is given).
  public func imagePath(
    name: String, timeDateStamp: UInt32, sizeOfImage: UInt32,
    client: (any SymbolServerClient)? = nil
  ) -> String? {
    var probed: Set<String> = []
    for location in locations {
      switch location {
      case .store(let dir), .folder(let dir):
        guard probed.insert(dir).inserted else { continue }
        if let path = SymbolTree(root: dir, cache: cache).imagePath(
          name: name, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
        {
          return path
        }
      case .server(let url, let caches):
        for dir in caches where probed.insert(dir).inserted {
          if let path = SymbolTree(root: dir, cache: cache).imagePath(
            name: name, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
          {
            return path
          }
        }
        let key = SymbolStoreKey.image(
          name: name, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
        guard let client, let nearest = caches.last, key.isSafe else { continue }
        if case .found(let path) = client.fetch(key, from: url, into: nearest) {
          Self.copyUpstream(path, key: key, caches: caches)
          return path
        }
      }
    }
    return nil
  }

  /// The first location's table for a module, or every reason none served it. Servers are asked
  /// through `client` (the PDB, then its `.sym`); without one they are named as skipped.
  public func table(debugFile: String, debugID: String, client: (any SymbolServerClient)? = nil)
    -> Result<SymbolTable, ParseError>
  {
    resolve(debugFile: debugFile, debugID: debugID, client: client).table
  }

  /// `table(debugFile:debugID:client:)` with what answered: the file the table was read from,
  /// and the server it was downloaded from just now, if it was.
  public func resolve(
    debugFile: String, debugID: String, client: (any SymbolServerClient)? = nil
  ) -> (table: Result<SymbolTable, ParseError>, source: String?) {
    var reasons: [String] = []
    var probed: Set<String> = []
    for location in locations {
      switch location {
      case .store(let dir):
        guard probed.insert(dir).inserted else { continue }
        let tree = SymbolTree(root: dir, cache: cache)
        guard let path = tree.path(debugFile: debugFile, debugID: debugID) else { continue }
        switch tree.table(debugFile: debugFile, debugID: debugID) {
        case .success(let table): return (.success(table), path)
        case .failure(let error): reasons.append(error.description)
        }
      case .folder(let dir):
        guard probed.insert(dir).inserted else { continue }
        let tree = SymbolTree(root: dir, cache: cache)
        if let path = tree.path(debugFile: debugFile, debugID: debugID) {
          switch tree.table(debugFile: debugFile, debugID: debugID) {
          case .success(let table): return (.success(table), path)
          case .failure(let error): reasons.append(error.description)
          }
        } else {
          switch Self.flat(dir, debugFile: debugFile, debugID: debugID, cache: cache) {
          case .success(let found?): return (.success(found.table), found.path)
          case .success(nil): break
          case .failure(let error): reasons.append(error.description)
          }
        }
      case .server(let url, let caches):
        let answer = server(
          url, caches: caches, unprobed: caches.filter { probed.insert($0).inserted },
          debugFile: debugFile, debugID: debugID, client: client)
        switch answer.table {
        case .success(let table): return (.success(table), answer.source)
        case .failure(let error): reasons.append(error.description)
        }
      }
    }
    let file = BreakpadSymbolWriter.baseName(debugFile)
    var named: Set<String> = []
    let searched = locations.compactMap { location -> String? in
      switch location {
      case .store(let dir), .folder(let dir): return named.insert(dir).inserted ? dir : nil
      case .server: return nil
      }
    }
    var message =
      "no \(file)/\(debugID) in \(searched.isEmpty ? "(no local folder)" : searched.joined(separator: ", "))"
    if !reasons.isEmpty { message += "; " + reasons.joined(separator: "; ") }
    return (.failure(ParseError("symbols", message)), nil)
  }

  /// A module's table from those of a server's caches not probed yet (`unprobed`), else fetched
  /// into the nearest cache (PDB first, then its `.sym`) and copied to the others.
  private func server(
    _ url: String, caches: [String], unprobed: [String], debugFile: String, debugID: String,
    client: (any SymbolServerClient)?
  ) -> (table: Result<SymbolTable, ParseError>, source: String?) {
    for dir in unprobed {
      let tree = SymbolTree(root: dir, cache: cache)
      if let path = tree.path(debugFile: debugFile, debugID: debugID) {
        return (tree.table(debugFile: debugFile, debugID: debugID), path)
      }
    }
    let shown = Self.redacted(url)
    guard let client else {
      return (.failure(ParseError(shown, "skipped: offline (no network use for this run)")), nil)
    }
    guard let nearest = caches.last else {
      return (.failure(ParseError(shown, "skipped: no cache folder to download into")), nil)
    }
    var answers: [String] = []
    let keys = [
      SymbolStoreKey.pdb(debugFile: debugFile, debugID: debugID),
      SymbolStoreKey.breakpad(debugFile: debugFile, debugID: debugID),
    ]
    for key in keys where key.isSafe {
      // A .sym is only ever published for a PDB; an image's own name never has one.
      if key.kind == .pdb && !key.file.lowercased().hasSuffix(".pdb") { continue }
      switch client.fetch(key, from: url, into: nearest) {
      case .found(let path):
        Self.copyUpstream(path, key: key, caches: caches)
        return (
          SymbolTree(root: nearest, cache: cache).table(debugFile: debugFile, debugID: debugID),
          "\(path) (downloaded from \(shown))"
        )
      case .notFound(let why): answers.append(why)
      case .unavailable(let why): answers.append("unavailable: \(why)")
      case .rejected(let why): answers.append("rejected: \(why)")
      }
    }
    // Each answer names the server already.
    return (.failure(ParseError("server", answers.joined(separator: "; "))), nil)
  }

  /// Copies a file fetched into the nearest cache to the caches upstream of it (`srv*C1*C2*URL`
  /// fills C1 too); a failed copy only costs a later fetch from C2.
  static func copyUpstream(_ path: String, key: SymbolStoreKey, caches: [String]) {
    for dir in caches.dropLast() {
      let folder = "\(dir)/\(key.folder)/\(key.index)"
      let destination = "\(folder)/\(key.file)"
      if FileManager.default.fileExists(atPath: destination) { continue }
      try? FileManager.default.createDirectory(
        atPath: folder, withIntermediateDirectories: true)
      let partial = destination + ".partial-\(getpid())"
      unlink(partial)
      if link(path, partial) != 0 {
        guard (try? FileManager.default.copyItem(atPath: path, toPath: partial)) != nil else {
          continue
        }
      }
      if rename(partial, destination) != 0 { unlink(partial) }
    }
  }

  /// A URL without the `user:password@` it may carry: errors and logs never show credentials.
  public static func redacted(_ url: String) -> String {
    guard let scheme = url.range(of: "://") else { return url }
    let rest = url[scheme.upperBound...]
    let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
    guard let at = rest[..<hostEnd].lastIndex(of: "@") else { return url }
    return String(url[..<scheme.upperBound]) + "***@" + String(rest[rest.index(after: at)...])
  }

  /// `DIR/<name>.sym` or `DIR/<name>.pdb`, accepted only when its identity is `debugID`.
  private static func flat(_ dir: String, debugFile: String, debugID: String, cache: String?)
    -> Result<(table: SymbolTable, path: String)?, ParseError>
  {
    let file = BreakpadSymbolWriter.baseName(debugFile)
    let stem = file.lowercased().hasSuffix(".pdb") ? String(file.dropLast(4)) : file
    let store = DerivedTableStore(cache: cache)
    return Result { () throws(ParseError) -> (table: SymbolTable, path: String)? in
      if let sym = SymbolTree.entry(in: dir, named: "\(stem).sym") {
        let path = "\(dir)/\(sym)"
        let table = try store.table(for: path) { () throws(ParseError) in
          try BreakpadSymbolReader.read(path: path)
        }
        if table.debugID?.uppercased() == debugID.uppercased() { return (table, path) }
      }
      if file.lowercased().hasSuffix(".pdb"), let name = SymbolTree.entry(in: dir, named: file) {
        let path = "\(dir)/\(name)"
        let table = try store.table(for: path) { () throws(ParseError) in
          try PDBSymbolTable.read(try PDBFile(path: path))
        }
        if table.debugID?.uppercased() == debugID.uppercased() { return (table, path) }
      }
      return nil
    }
  }
}
