import ByteReader
import Synchronization

/// Tables already built in this process, by debug file and id, shared by worker threads: ten
/// thousand dumps of one build load each PDB once. Misses are cached too, so a module without
/// symbols costs one directory probe per run.
public final class SymbolTableCache: Sendable {
  private let tables = Mutex<[String: Result<SymbolTable, ParseError>]>([:])
  public let path: SymbolPath

  public init(path: SymbolPath) { self.path = path }

  /// The module's table through `path`, built at most once per key.
  public func table(debugFile: String, debugID: String) -> Result<SymbolTable, ParseError> {
    let key = BreakpadSymbolWriter.baseName(debugFile).lowercased() + "/" + debugID.uppercased()
    if let known = tables.withLock({ $0[key] }) { return known }
    // Built outside the lock: two threads may both build a table the first time, which is cheaper
    // than making every other lookup wait behind a slow PDB.
    let result = path.table(debugFile: debugFile, debugID: debugID)
    tables.withLock { $0[key] = result }
    return result
  }
}
