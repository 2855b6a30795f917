import Foundation
import GRDB

/// The workspace's SQLite database: the only channel between pipeline stages.
///
/// Opened in WAL mode through a `DatabasePool`, so readers (`crashsift status`, report rendering,
/// worker look-ups) never block the single writer. Every write transaction is IMMEDIATE (GRDB's
/// default), so two processes never interleave half-written stage results.
public final class CheckpointDatabase: Sendable {
  /// The connection pool; writes go through `write`, reads through `read`.
  public let pool: DatabasePool
  /// The database file path.
  public let path: String

  /// Opens (creating if needed) the database at `path` and applies pending migrations.
  ///
  /// - Parameter readOnly: open without migrating or writing; fails if the file does not exist.
  public init(path: String, readOnly: Bool = false) throws {
    var config = Configuration()
    config.readonly = readOnly
    // Another crashsift process may hold a write transaction briefly; wait rather than fail.
    config.busyMode = .timeout(30)
    config.prepareDatabase { db in
      // NORMAL is durable across process kills in WAL mode; only power loss may lose the tail.
      try db.execute(sql: "PRAGMA synchronous = NORMAL")
    }
    self.path = path
    if readOnly {
      guard FileManager.default.fileExists(atPath: path) else {
        throw CheckpointError.missingDatabase(path)
      }
    }
    pool = try DatabasePool(path: path, configuration: config)
    if !readOnly {
      try CheckpointSchema.migrator().migrate(pool)
    } else {
      let applied = try pool.read { db in try CheckpointSchema.migrator().hasCompletedMigrations(db)
      }
      guard applied else { throw CheckpointError.schemaOutOfDate(path) }
    }
  }

  /// Runs `body` in one write transaction.
  public func write<T>(_ body: (Database) throws -> T) throws -> T {
    try pool.write(body)
  }

  /// Runs `body` on a read-only snapshot.
  public func read<T>(_ body: (Database) throws -> T) throws -> T {
    try pool.read(body)
  }

  /// Closes every connection now; later reads and writes throw.
  ///
  /// Closing the last connection checkpoints the WAL and takes an exclusive lock for a moment.
  /// Left to deinitialization, that moment comes whenever the last reference goes, which may be
  /// a worker thread's closure released after the run has returned and its workspace lock is
  /// gone, so another connection opening the file just then fails with "database is locked".
  /// Owners of a workspace close it before they release the workspace lock.
  public func close() throws {
    try pool.close()
  }
}
