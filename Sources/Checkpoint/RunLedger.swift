import GRDB

/// The SQL of `runs`: one row per invocation that wrote to the workspace.
public enum RunLedger {
  /// One recorded run.
  public struct Run: Sendable, Equatable, Codable {
    public var id: Int64
    public var command: String
    public var startedAt: String
    public var finishedAt: String?
    public var status: String
    public var pid: Int
    public var host: String
    /// JSON summary written when the run finished.
    public var summary: String?

    enum CodingKeys: String, CodingKey {
      case id, command, status, pid, host, summary
      case startedAt = "started_at"
      case finishedAt = "finished_at"
    }
  }

  /// Marks runs still `running` as `killed`: called under the workspace lock, so no live process
  /// owns them.
  public static func markAbandoned(_ db: Database) throws {
    try db.execute(sql: "UPDATE runs SET status = 'killed' WHERE status = 'running'")
  }

  /// Inserts a `running` row and returns its id.
  public static func start(
    _ db: Database, command: String, pid: Int, host: String, now: String
  ) throws -> Int64 {
    try db.execute(
      sql: """
        INSERT INTO runs (command, started_at, status, pid, host) VALUES (?, ?, 'running', ?, ?)
        """, arguments: [command, now, pid, host])
    return db.lastInsertedRowID
  }

  /// Closes a run with its final status and JSON summary.
  public static func finish(
    _ db: Database, id: Int64, status: String, summary: String, now: String
  ) throws {
    try db.execute(
      sql: "UPDATE runs SET status = ?, summary = ?, finished_at = ? WHERE id = ?",
      arguments: [status, summary, now, id])
  }

  /// The most recent run, if any.
  public static func last(_ db: Database) throws -> Run? {
    guard
      let row = try Row.fetchOne(
        db,
        sql: """
          SELECT id, command, started_at, finished_at, status, pid, host, summary
          FROM runs ORDER BY id DESC LIMIT 1
          """)
    else { return nil }
    return Run(
      id: row[0], command: row[1], startedAt: row[2], finishedAt: row[3], status: row[4],
      pid: row[5], host: row[6], summary: row[7])
  }
}
