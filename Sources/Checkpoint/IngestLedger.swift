import GRDB

/// The SQL of the ingest stage's tables (`archives`, `archive_sources`, `dumps`, `occurrences`,
/// `archive_issues`).
///
/// Every write is idempotent (keys plus `INSERT OR IGNORE` / upserts), so an archive that is
/// re-ingested after a kill converges to exactly the rows of an uninterrupted run.
public enum IngestLedger {
  /// What the database knows of a manifest path: its last stat and the status of its content.
  public struct SourceState: Sendable, Equatable {
    public var sha256: String
    public var size: Int64
    public var mtime: Int64
    public var status: String
  }

  /// The recorded source for `path`, if any.
  public static func source(_ db: Database, path: String) throws -> SourceState? {
    // Cached: asked once per input of every run, where preparing cost more than the lookup.
    let row = try Row.fetchOne(
      db.cachedStatement(
        sql: """
          SELECT s.sha256, s.size, s.mtime, a.status FROM archive_sources s
          JOIN archives a ON a.sha256 = s.sha256 WHERE s.path = ?
          """), arguments: [path])
    guard let row else { return nil }
    return SourceState(sha256: row[0], size: row[1], mtime: row[2], status: row[3])
  }

  /// The status of an archive content (`running`, `done`, `failed`), if it was ever seen.
  public static func archiveStatus(_ db: Database, sha256: String) throws -> String? {
    try String.fetchOne(
      db.cachedStatement(sql: "SELECT status FROM archives WHERE sha256 = ?"),
      arguments: [sha256])
  }

  /// Records that `archive` is being ingested (again) and remembers `archive.path` as its source.
  public static func begin(_ db: Database, archive: ArchiveRow, now: String) throws {
    try db.cachedStatement(
      sql: """
        INSERT INTO archives (sha256, path, size, mtime, batch, build, status, attempts, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, 'running', 1, ?)
        ON CONFLICT(sha256) DO UPDATE SET
          status = 'running', error = NULL, attempts = attempts + 1, updated_at = excluded.updated_at
        """
    ).execute(
      arguments: [
        archive.sha256, archive.path, archive.size, archive.mtime, archive.batch, archive.build,
        now,
      ])
    try recordSource(db, archive: archive)
  }

  /// Remembers a manifest path whose content is `archive.sha256` (also for skipped duplicates).
  public static func recordSource(_ db: Database, archive: ArchiveRow) throws {
    try db.cachedStatement(
      sql: """
        INSERT INTO archive_sources (path, sha256, size, mtime, batch) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT(path) DO UPDATE SET
          sha256 = excluded.sha256, size = excluded.size, mtime = excluded.mtime,
          batch = excluded.batch
        """
    ).execute(
      arguments: [archive.path, archive.sha256, archive.size, archive.mtime, archive.batch])
  }

  /// Inserts dumps and their occurrences; rows already present are left as they are.
  public static func insert(
    _ db: Database, dumps: [StoredDump], archiveSHA256: String, batch: String
  ) throws {
    let dumpStatement = try db.cachedStatement(
      sql: "INSERT OR IGNORE INTO dumps (sha256, size, kind) VALUES (?, ?, ?)")
    let occurrenceStatement = try db.cachedStatement(
      sql: """
        INSERT OR IGNORE INTO occurrences
          (archive_sha256, entry_path, dump_sha256, batch, entry_mtime) VALUES (?, ?, ?, ?, ?)
        """)
    for dump in dumps {
      try dumpStatement.execute(arguments: [dump.sha256, dump.size, dump.kind.rawValue])
      try occurrenceStatement.execute(arguments: [
        archiveSHA256, dump.entryPath, dump.sha256, batch, dump.entryMtime,
      ])
    }
  }

  /// Records entries that were not stored, with the reason.
  public static func insertIssues(
    _ db: Database, issues: [(entryPath: String, reason: String)], archiveSHA256: String
  ) throws {
    let statement = try db.cachedStatement(
      sql: """
        INSERT INTO archive_issues (archive_sha256, entry_path, reason) VALUES (?, ?, ?)
        ON CONFLICT(archive_sha256, entry_path) DO UPDATE SET reason = excluded.reason
        """)
    for issue in issues {
      try statement.execute(arguments: [archiveSHA256, issue.entryPath, issue.reason])
    }
  }

  /// Closes an archive's ingest: `done` when every entry was read, else `failed` with the message.
  public static func finish(
    _ db: Database, archiveSHA256: String, outcome: ArchiveOutcome, now: String
  ) throws {
    try db.cachedStatement(
      sql: """
        UPDATE archives SET status = ?, error = ?, entries = ?, dumps = ?, skipped = ?,
          formats = ?, updated_at = ?
        WHERE sha256 = ?
        """
    ).execute(
      arguments: [
        outcome.error == nil ? "done" : "failed", outcome.error, outcome.entries, outcome.dumps,
        outcome.skipped, outcome.formats, now, archiveSHA256,
      ])
  }
}
