import ByteReader
import PEImage
import Synchronization

/// Tables already built in this process, by debug file and id, shared by worker threads: ten
/// thousand dumps of one build load each PDB once, and a thread asking for a table another is
/// building waits for that build rather than deriving a second copy. Misses are cached too, so a
/// module without symbols costs one directory probe per run. `tableBytes` can bound the tables
/// kept (least recently used dropped; the derived-table archive brings one back), but the default
/// keeps every table: the unwind data shared per module (`shared`, e.g. the walker's
/// `ModuleCode`) holds its table for the run as well, so dropping a table here would only make
/// the next lookup load a second copy. Bounding memory needs those values bounded first.
public final class SymbolTableCache: Sendable {
  /// No bound by default (see the type's documentation).
  public static let defaultTableBytes = Int.max

  private let tables: SymbolTableSlots
  private let values = Mutex<[String: any Sendable]>([:])
  /// What answered each lookup that found a table, by `SymbolLookup.text`.
  private let sources = Mutex<[String: String]>([:])
  public let path: SymbolPath
  /// How the path's servers are asked; `nil` keeps the lookup offline.
  public let client: (any SymbolServerClient)?

  /// - Parameter tableBytes: the most estimated bytes of tables kept at once.
  public init(
    path: SymbolPath, client: (any SymbolServerClient)? = nil,
    tableBytes: Int = SymbolTableCache.defaultTableBytes
  ) {
    self.path = path
    self.client = client
    tables = SymbolTableSlots(limit: tableBytes)
  }

  /// The keys of the tables held now (tests).
  var heldTables: Set<String> { tables.keys }

  /// The module's table through `path`, built at most once per key.
  public func table(debugFile: String, debugID: String) -> Result<SymbolTable, ParseError> {
    let key = BreakpadSymbolWriter.baseName(debugFile).lowercased() + "/" + debugID.uppercased()
    return tables.table(key) {
      let answer = path.resolve(debugFile: debugFile, debugID: debugID, client: client)
      // A source is kept only for a table: a cache file that failed to parse found nothing.
      if case .success = answer.table, let source = answer.source {
        sources.withLock { $0[SymbolLookup.debug(file: debugFile, id: debugID).text] = source }
      }
      return answer.table
    }
  }

  /// The table `lookup` names, built at most once per lookup.
  public func table(for lookup: SymbolLookup) -> Result<SymbolTable, ParseError> {
    switch lookup {
    case .debug(let file, let id):
      table(debugFile: file, debugID: id)
    case .image(let name, let timeDateStamp, let sizeOfImage):
      table(imageName: name, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
    }
  }

  /// The file that answered `lookup` (the PDB or `.sym`, with the image it was found through and
  /// the server it was downloaded from this run), once `table(for:)` found it; else `nil`.
  public func source(for lookup: SymbolLookup) -> String? {
    sources.withLock { $0[lookup.text] }
  }

  /// The table of a module known only by image name, timestamp and size (kernel drivers in a
  /// dump): the image is fetched from the store the way WinDbg does, its CodeView record names
  /// the PDB, and that PDB is looked up by debug id.
  public func table(imageName: String, timeDateStamp: UInt32, sizeOfImage: UInt32)
    -> Result<SymbolTable, ParseError>
  {
    let key = "image-table/\(imageName.lowercased())/\(timeDateStamp)/\(sizeOfImage)"
    return shared(key) {
      tableThroughImage(
        imageName: imageName, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
    }
  }

  /// A module's image from the store (`<image>/<TIMESTAMP><SizeOfImage>/<image>`), opened once.
  public func image(name: String, timeDateStamp: UInt32, sizeOfImage: UInt32) -> PEImage? {
    let key = "image/\(name.lowercased())/\(timeDateStamp)/\(sizeOfImage)"
    return shared(key) {
      path.imagePath(
        name: name, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage, client: client
      ).flatMap {
        try? PEImage(path: $0)
      }
    }
  }

  /// A value derived once per key for the life of this cache (e.g. a module's unwind data built
  /// from its table), shared by every worker. Like tables, it may be built twice the first time.
  public func shared<T: Sendable>(_ key: String, _ make: () -> T) -> T {
    // Unwrap the dictionary's optional first: a stored nil (a cached miss) is a value.
    if let stored = values.withLock({ $0[key] }), let known = stored as? T { return known }
    let value = make()
    values.withLock { $0[key] = value }
    return value
  }

  private func tableThroughImage(imageName: String, timeDateStamp: UInt32, sizeOfImage: UInt32)
    -> Result<SymbolTable, ParseError>
  {
    let index = SymbolTree.imageIndex(timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
    guard
      let image = path.imagePath(
        name: imageName, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage, client: client)
    else {
      return .failure(
        ParseError(
          "symbols", "no image \(imageName)/\(index) in the symbol path (its PDB id is in it)"))
    }
    let identity = Result { () throws(ParseError) -> (String, String) in
      guard let record = try PEImage(path: image).codeView(), let id = record.debugIdentifier,
        let file = record.pdbFileName
      else { throw ParseError(image, "has no CodeView record naming its PDB") }
      return (file, id)
    }
    switch identity {
    case .failure(let error): return .failure(error)
    case .success(let (file, id)):
      let result = table(debugFile: file, debugID: id)
      if case .success = result, let pdb = source(for: .debug(file: file, id: id)) {
        let lookup = SymbolLookup.image(
          name: imageName, timeDateStamp: timeDateStamp, sizeOfImage: sizeOfImage)
        sources.withLock { $0[lookup.text] = "\(pdb), through the image \(image)" }
      }
      return result
    }
  }
}
