import GRDB

/// The SQL of `stage_state`: which dump is done at which version of which stage.
///
/// Stages are ordered (parse → symbolize → bucket); "downstream" of a stage is every stage after
/// it. A dump's row for a stage is valid only while its `stage_version` equals the stage's current
/// version and every upstream row is `done`.
public enum StageLedger {
  /// Marks stale rows `pending`: rows of `stage` written by another version, and every
  /// downstream row of the same dumps. Returns how many rows of `stage` were stale.
  @discardableResult
  public static func invalidateStale(
    _ db: Database, stage: String, version: Int, downstream: [String], now: String
  ) throws -> Int {
    if !downstream.isEmpty {
      let marks = databaseQuestionMarks(count: downstream.count)
      try db.execute(
        sql: """
          UPDATE stage_state SET status = 'pending', updated_at = ?
          WHERE stage IN (\(marks)) AND status != 'pending' AND dump_sha256 IN (
            SELECT dump_sha256 FROM stage_state WHERE stage = ? AND stage_version != ?)
          """,
        arguments: StatementArguments([now] + downstream + [stage, version]))
    }
    try db.execute(
      sql: """
        UPDATE stage_state SET status = 'pending', updated_at = ?
        WHERE stage = ? AND stage_version != ? AND status != 'pending'
        """, arguments: [now, stage, version])
    return db.changesCount
  }

  /// Dumps that `stage` must (re)do: no row, a `pending` or `running` row, or a row of another
  /// version; `failed` and `deferred` rows are included only when asked. Dumps whose `upstream`
  /// stage is neither `done` nor `deferred` are left out: a deferred upstream wrote partial
  /// output (frames without names) that downstream stages use, and its completion later makes
  /// them stale again. Ordered by sha256 so runs are reproducible; `after`
  /// resumes past a sha256 (keyset paging, so a run never sees its own claims twice).
  /// `recordedBefore` (a `Timestamp`) leaves out `failed` and `deferred` rows recorded after
  /// it: a stage's own pass then does not redo what the hand-off of the same run just did.
  public static func work(
    _ db: Database, stage: String, version: Int, upstream: String?, retryFailed: Bool,
    retryDeferred: Bool, recordedBefore: String? = nil, after: String? = nil, limit: Int? = nil
  ) throws -> [WorkItem] {
    var retry: [String] = []
    if retryFailed { retry.append("'failed'") }
    if retryDeferred { retry.append("'deferred'") }
    let upstreamJoin =
      upstream == nil
      ? ""
      // CROSS JOIN keeps `dumps` the outer loop, walked in sha256 order from the cursor: with a
      // plain JOIN SQLite drives from the status index and sorts every remaining row for each
      // chunk (0.12 s per chunk at 100,000 dumps, quadratic over a run).
      : "CROSS JOIN stage_state u ON u.dump_sha256 = d.sha256 AND u.stage = ?"
        + " AND u.status IN ('done', 'deferred')"
    var arguments: [(any DatabaseValueConvertible)?] = []
    if let upstream { arguments.append(upstream) }
    arguments += [stage, version]
    var retryClause = ""
    if !retry.isEmpty {
      retryClause = " OR (s.status IN (\(retry.joined(separator: ",")))"
      if let recordedBefore {
        // Milliseconds: a row recorded in the same one as the stamp is older than any pass.
        retryClause += " AND s.updated_at <= ?"
        arguments.append(recordedBefore)
      }
      retryClause += ")"
    }
    var afterClause = ""
    if let after {
      afterClause = " AND d.sha256 > ?"
      arguments.append(after)
    }
    let limitClause = limit.map { " LIMIT \($0)" } ?? ""
    let rows = try Row.fetchAll(
      db,
      sql: """
        SELECT d.sha256, d.kind, d.size, COALESCE(s.attempts, 0), s.dump_sha256 IS NULL
        FROM dumps d
        \(upstreamJoin)
        LEFT JOIN stage_state s ON s.dump_sha256 = d.sha256 AND s.stage = ?
        WHERE (s.dump_sha256 IS NULL OR s.stage_version != ?
          OR s.status IN ('pending', 'running')\(retryClause))\(afterClause)
        ORDER BY d.sha256\(limitClause)
        """, arguments: StatementArguments(arguments))
    return rows.map { row in
      var item = WorkItem(
        dumpSHA256: row[0], kind: DumpKind(rawValue: row[1]) ?? .unknown, size: row[2],
        attempts: row[3])
      item.fresh = row[4]
      return item
    }
  }

  /// Claims dumps for `stage` before their work starts, counting the attempt. A dump whose
  /// attempts keep ending in a killed process is thereby recognised (see `failExhausted`).
  public static func claim(
    _ db: Database, dumps: [String], stage: String, version: Int, now: String
  ) throws {
    let statement = try db.cachedStatement(
      sql: """
        INSERT INTO stage_state (dump_sha256, stage, stage_version, status, attempts, updated_at)
        VALUES (?, ?, ?, 'running', 1, ?)
        ON CONFLICT(dump_sha256, stage) DO UPDATE SET stage_version = excluded.stage_version,
          status = 'running', error = NULL, attempts = attempts + 1, updated_at = excluded.updated_at
        """)
    for dump in dumps {
      try statement.execute(arguments: [dump, stage, version, now])
    }
  }

  /// Marks `failed` the dumps whose `running` claims were abandoned `maxAttempts` times: the
  /// input most likely kills the process, and retrying it forever would stall every night.
  @discardableResult
  public static func failExhausted(
    _ db: Database, stage: String, maxAttempts: Int, now: String
  ) throws -> Int {
    try db.execute(
      sql: """
        UPDATE stage_state SET status = 'failed', updated_at = ?,
          error = 'abandoned by ' || attempts || ' interrupted runs; rerun with --retry-failed'
        WHERE stage = ? AND status = 'running' AND attempts >= ?
        """, arguments: [now, stage, maxAttempts])
    return db.changesCount
  }

  /// Records `outcome` for a dump and marks its downstream rows `pending`. Call it in the same
  /// transaction that replaced the stage's output rows for the dump. `attempts` goes back to 0:
  /// it counts consecutive claims that no result followed (interrupted runs).
  public static func record(
    _ db: Database, dump: String, stage: String, version: Int, outcome: StageOutcome,
    downstream: [String], now: String
  ) throws {
    try db.cachedStatement(
      sql: """
        INSERT INTO stage_state (dump_sha256, stage, stage_version, status, error, attempts,
          updated_at) VALUES (?, ?, ?, ?, ?, 0, ?)
        ON CONFLICT(dump_sha256, stage) DO UPDATE SET stage_version = excluded.stage_version,
          status = excluded.status, error = excluded.error, attempts = 0,
          updated_at = excluded.updated_at
        """
    ).execute(arguments: [dump, stage, version, outcome.status.rawValue, outcome.error, now])
    if !downstream.isEmpty {
      let marks = databaseQuestionMarks(count: downstream.count)
      try db.cachedStatement(
        sql: """
          UPDATE stage_state SET status = 'pending', updated_at = ?
          WHERE dump_sha256 = ? AND stage IN (\(marks)) AND status != 'pending'
          """
      ).execute(arguments: StatementArguments([now, dump] + downstream))
    }
  }

  /// Per-status counts for `stage`, with dumps that have no row counted as `pending`.
  public static func counts(_ db: Database, stage: String) throws -> [StageStatus: Int] {
    var result: [StageStatus: Int] = [:]
    for status in StageStatus.allCases { result[status] = 0 }
    let rows = try Row.fetchAll(
      db, sql: "SELECT status, COUNT(*) FROM stage_state WHERE stage = ? GROUP BY status",
      arguments: [stage])
    var withRow = 0
    for row in rows {
      let count: Int = row[1]
      withRow += count
      if let status = StageStatus(rawValue: row[0]) { result[status, default: 0] += count }
    }
    let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dumps") ?? 0
    result[.pending, default: 0] += max(0, total - withRow)
    return result
  }
}
