import Checkpoint
import Ingest

/// The layout of a workspace (output) directory.
///
/// ```
/// out/crashsift.sqlite     checkpoint database (WAL: also -wal and -shm)
/// out/crashsift.lock       flock(2) lock and who holds it
/// out/dumps/ab/abcd….dmp   content-addressed dump store
/// out/tmp/                 partial dumps and spooled nested archives of the running process
/// out/report/              reports
/// ```
public struct Workspace: Sendable, Equatable {
  /// The workspace directory.
  public var directory: String

  public init(directory: String) { self.directory = directory }

  public var databasePath: String { "\(directory)/crashsift.sqlite" }
  public var storeDirectory: String { "\(directory)/dumps" }
  public var temporaryDirectory: String { "\(directory)/tmp" }
  public var reportDirectory: String { "\(directory)/report" }

  /// Opens (creating) the dump store.
  public func openStore() throws -> DumpStore {
    try DumpStore(root: storeDirectory, temporaryDirectory: temporaryDirectory)
  }

  /// Opens (creating and migrating) the checkpoint database.
  public func openDatabase() throws -> CheckpointDatabase {
    try CheckpointDatabase(path: databasePath)
  }
}
