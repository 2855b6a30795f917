import Checkpoint
import Crypto
import Foundation
import GRDB
import Ingest
import Interface
import Pipeline

/// `crashsift merge`: brings shard workspaces into the long-lived workspace the reports read
/// (docs/cluster.md).
///
/// - Shards are merged in the order of (plan digest, shard index, path), whatever order they
///   are given in, each in one write transaction: a merge killed part-way leaves every shard
///   either fully merged or not at all, and running it again finishes the job.
/// - Dumps are keyed by content: a dump two shards saw is stored once, with both occurrences.
///   Its bytes are hard-linked (else copied and flushed) into the workspace's store before the
///   rows that name them commit; the shard is left intact.
/// - Per dump and stage, the better outcome wins (done over deferred over failed over
///   pending), then the current stage version; on a tie the workspace keeps its row. A stage's
///   output rows travel with its `stage_state` row, so both always agree.
/// - A shard is recorded in `merged_shards` by the digest of its database's rows: merging it
///   again changes nothing.
/// - A shard stamped by another crashsift (release, commit, checkpoint schema, rules or stage
///   versions) is refused unless `rerunStale` is set; then its rows come in and the stages that
///   are stale for this crashsift are redone by the caller's next stage run.
public struct WorkspaceMerge {
  /// One shard's outcome.
  public struct ShardResult: Codable, Sendable, Equatable {
    public var path: String
    public var shardIndex: Int
    public var digest: String
    /// `merged` or `already merged`.
    public var status: String
    public var dumpsAdded: Int
    public var dumpsKnown: Int
    public var stageRowsTaken: Int
    /// Stage rows written by another stage version than this crashsift's.
    public var staleStageRows: Int
  }

  /// What a merge did.
  public struct Summary: Codable, Sendable, Equatable {
    public var workspace: String
    public var shards: [ShardResult]
    public var seconds: Double
  }

  /// A dump stage as the merge needs it.
  public struct Stage: Sendable {
    public var name: String
    public var version: Int
    public var outputTables: [String]

    public init(name: String, version: Int, outputTables: [String]) {
      self.name = name
      self.version = version
      self.outputTables = outputTables
    }
  }

  public let target: Workspace
  public let stages: [Stage]
  public let versions: VersionInfo
  public let rerunStale: Bool
  /// When set, only shards of this plan are taken (a shard folder left from another night is
  /// refused).
  public let planDigest: String?

  public init(
    target: Workspace, stages: [Stage], versions: VersionInfo, rerunStale: Bool,
    planDigest: String? = nil
  ) {
    self.target = target
    self.stages = stages
    self.versions = versions
    self.rerunStale = rerunStale
    self.planDigest = planDigest
  }

  /// Merges `shardDirectories` into the target workspace (created if needed), which must not
  /// be in use; each shard's lock is taken while it is read.
  public func merge(_ shardDirectories: [String]) throws -> Summary {
    let started = Date()
    var shards: [(directory: String, stamp: ShardStamp)] = []
    var problems: [String] = []
    for directory in Set(shardDirectories.map { URL(fileURLWithPath: $0).standardized.path }) {
      guard let stamp = try ShardStamp.read(directory) else {
        problems.append(
          "\(directory) is not a shard workspace (no \(ShardStamp.fileName)); shards are made by `crashsift run --plan … --shard I --workspace DIR`"
        )
        continue
      }
      if let planDigest, stamp.planDigest != planDigest {
        problems.append(
          "\(directory) is shard \(stamp.shardIndex) of plan \(stamp.planDigest.prefix(12)), not of the plan given (\(planDigest.prefix(12))): a shard left from another night?"
        )
        continue
      }
      if let why = incompatibility(stamp), !rerunStale {
        problems.append(
          "\(directory): made by another crashsift (\(why)); re-run the shard with this one, or give --rerun-stale to take its rows and redo its stale stages here"
        )
        continue
      }
      if let why = Self.unfinished(Workspace(directory: directory)) {
        problems.append("\(directory): \(why); run the shard again (it resumes), then merge")
        continue
      }
      shards.append((directory, stamp))
    }
    guard problems.isEmpty else { throw ClusterError(problems.joined(separator: "\n")) }
    shards.sort {
      ($0.stamp.planDigest, $0.stamp.shardIndex, $0.directory)
        < ($1.stamp.planDigest, $1.stamp.shardIndex, $1.directory)
    }
    guard target.directory != "" else { throw ClusterError("no workspace to merge into") }
    let lock = try WorkspaceLock(directory: target.directory, command: "merge")
    defer { withExtendedLifetime(lock) {} }
    let database = try target.openDatabase()
    // Closed before the workspace lock is released (defers run in reverse order).
    defer { try? database.close() }
    let store = try target.openStore()
    let runID = try database.write { db in
      try RunLedger.markAbandoned(db)
      return try RunLedger.start(
        db, command: "merge", pid: Int(getpid()), host: ProcessInfo.processInfo.hostName,
        now: Timestamp.now())
    }
    var results: [ShardResult] = []
    do {
      for shard in shards {
        results.append(try mergeOne(shard.directory, shard.stamp, into: database, store: store))
      }
    } catch {
      try? database.write { db in
        try RunLedger.finish(
          db, id: runID, status: "failed", summary: "{\"error\": \(Self.quoted("\(error)"))}",
          now: Timestamp.now())
      }
      throw error
    }
    let summary = Summary(
      workspace: target.directory, shards: results, seconds: Date().timeIntervalSince(started))
    if results.allSatisfy({ $0.status == "already merged" }) {
      // Nothing changed: leave no trace, so merging the same shards again changes nothing.
      try database.write { db in
        try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [runID])
      }
      return summary
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    let json = String(decoding: (try? encoder.encode(summary)) ?? Data(), as: UTF8.self)
    try database.write { db in
      try RunLedger.finish(db, id: runID, status: "done", summary: json, now: Timestamp.now())
    }
    return summary
  }

  /// Why a shard cannot be merged yet (no database, or its last run did not finish: killed,
  /// still running, or stopped on an error), nil when it can. A run that finished with failed
  /// dumps is finished: its failures are rows like any other.
  static func unfinished(_ shard: Workspace) -> String? {
    guard FileManager.default.fileExists(atPath: shard.databasePath) else {
      return "it has no database: its run never started"
    }
    var configuration = Configuration()
    configuration.readonly = true
    do {
      let queue = try DatabaseQueue(path: shard.databasePath, configuration: configuration)
      let last = try queue.read { db in
        try Row.fetchOne(
          db, sql: "SELECT status, COALESCE(summary, '') FROM runs ORDER BY id DESC LIMIT 1")
      }
      guard let last else { return "it has no run" }
      let status: String = last[0]
      let summary: String = last[1]
      if status == "done" { return nil }
      if status == "failed", !summary.contains("\"error\"") { return nil }
      return "its last run did not finish (\(status))"
    } catch {
      return "its database cannot be read: \(error)"
    }
  }

  /// Why a shard's stamp is not this crashsift's, nil when it is.
  func incompatibility(_ stamp: ShardStamp) -> String? {
    let theirs = stamp.crashsift
    if theirs.release != versions.release || theirs.commit != versions.commit {
      return
        "crashsift \(theirs.release) \(theirs.commit.prefix(12)), this is \(versions.release) \(versions.commit.prefix(12))"
    }
    if theirs.checkpointSchema != versions.checkpointSchema {
      return "checkpoint schema \(theirs.checkpointSchema), this is \(versions.checkpointSchema)"
    }
    if theirs.bucketingRules != versions.bucketingRules {
      return "bucketing rules \(theirs.bucketingRules), these are \(versions.bucketingRules)"
    }
    if theirs.stages != versions.stages {
      return
        "stage versions \(theirs.stages.sorted { $0.key < $1.key }), these are \(versions.stages.sorted { $0.key < $1.key })"
    }
    return nil
  }

  /// Merges one shard in one transaction.
  func mergeOne(
    _ directory: String, _ stamp: ShardStamp, into database: CheckpointDatabase, store: DumpStore
  ) throws -> ShardResult {
    let shard = Workspace(directory: directory)
    let shardLock = try WorkspaceLock(directory: directory, command: "merge (read)")
    defer { withExtendedLifetime(shardLock) {} }
    guard FileManager.default.fileExists(atPath: shard.databasePath) else {
      throw ClusterError("\(directory) has no database: its run never started")
    }
    let shardDatabase = try shard.openDatabase()
    defer { try? shardDatabase.close() }
    let digest = try shardDatabase.read { db in try Self.contentDigest(db) }
    var result = ShardResult(
      path: directory, shardIndex: stamp.shardIndex, digest: digest, status: "merged",
      dumpsAdded: 0, dumpsKnown: 0, stageRowsTaken: 0, staleStageRows: 0)
    let known = try database.read { db in
      try Bool.fetchOne(
        db, sql: "SELECT 1 FROM merged_shards WHERE digest = ?", arguments: [digest]) ?? false
    }
    if known {
      result.status = "already merged"
      return result
    }
    // The dumps' bytes first: rows never name a dump the store does not hold.
    let dumps = try shardDatabase.read { db in
      try String.fetchAll(db, sql: "SELECT sha256 FROM dumps ORDER BY sha256")
    }
    for sha in dumps {
      let destination = store.path(sha256: sha)
      if FileManager.default.fileExists(atPath: destination) { continue }
      try Self.place(
        "\(shard.storeDirectory)/\(DumpStore.relativePath(sha256: sha))", at: destination,
        store: store)
    }
    store.synchronize()
    FaultInjection.hit("merge-placed")
    try database.pool.writeWithoutTransaction { db in
      try db.execute(sql: "ATTACH DATABASE ? AS shard", arguments: [shard.databasePath])
      defer { try? db.execute(sql: "DETACH DATABASE shard") }
      try db.inTransaction(.immediate) {
        let before = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM main.dumps") ?? 0
        try mergeIngest(db)
        let after = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM main.dumps") ?? 0
        result.dumpsAdded = after - before
        result.dumpsKnown = dumps.count - result.dumpsAdded
        try db.execute(sql: "DROP TABLE IF EXISTS temp.merge_source")
        try db.execute(
          sql:
            "CREATE TEMP TABLE merge_source (dump_sha256 TEXT PRIMARY KEY, source TEXT NOT NULL)")
        for stage in stages {
          let (taken, stale) = try mergeStage(db, stage)
          result.stageRowsTaken += taken
          result.staleStageRows += stale
          FaultInjection.hit("merge-stage")
        }
        try db.execute(sql: "DROP TABLE temp.merge_source")
        try db.execute(
          sql: """
            INSERT INTO main.runs (command, started_at, finished_at, status, pid, host, summary)
            SELECT 'shard ' || ? || '/' || ? || ': ' || command, started_at, finished_at, status,
              pid, host, summary
            FROM shard.runs ORDER BY id
            """, arguments: [stamp.shardIndex, stamp.shardCount])
        try db.execute(
          sql: """
            INSERT INTO main.merged_shards (digest, path, plan_digest, shard_index, shard_count,
              dumps, stage_rows, release, commit_id, merged_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            digest, directory, stamp.planDigest, stamp.shardIndex, stamp.shardCount, dumps.count,
            result.stageRowsTaken, stamp.crashsift.release, stamp.crashsift.commit,
            Timestamp.now(),
          ])
        return .commit
      }
    }
    FaultInjection.hit("merge-commit")
    return result
  }

  /// The ingest tables: content-keyed rows are added once; an archive the workspace saw fail
  /// takes the shard's finished row; a path's last stat is the shard's.
  func mergeIngest(_ db: Database) throws {
    func columns(_ table: String) throws -> String { try Self.columns(db, table) }
    let dumpColumns = try columns("dumps")
    try db.execute(
      sql:
        "INSERT OR IGNORE INTO main.dumps (\(dumpColumns)) SELECT \(dumpColumns) FROM shard.dumps")
    let archiveColumns = try columns("archives")
    try db.execute(
      sql: """
        INSERT INTO main.archives (\(archiveColumns)) SELECT \(archiveColumns) FROM shard.archives
        WHERE true
        ON CONFLICT(sha256) DO UPDATE SET status = excluded.status, error = excluded.error,
          entries = excluded.entries, dumps = excluded.dumps, skipped = excluded.skipped,
          formats = excluded.formats, attempts = excluded.attempts,
          updated_at = excluded.updated_at
        WHERE main.archives.status != 'done' AND excluded.status = 'done'
        """)
    let sourceColumns = try columns("archive_sources")
    try db.execute(
      sql: """
        INSERT OR REPLACE INTO main.archive_sources (\(sourceColumns))
        SELECT \(sourceColumns) FROM shard.archive_sources
        """)
    let occurrenceColumns = try columns("occurrences")
    try db.execute(
      sql: """
        INSERT OR IGNORE INTO main.occurrences (\(occurrenceColumns))
        SELECT \(occurrenceColumns) FROM shard.occurrences
        """)
    // An entry refused again says why this time, as a re-ingest would.
    let issueColumns = try columns("archive_issues")
    try db.execute(
      sql: """
        INSERT OR REPLACE INTO main.archive_issues (\(issueColumns))
        SELECT \(issueColumns) FROM shard.archive_issues
        """)
  }

  /// One stage's rows, stages taken in pipeline order. For each dump the shard holds, the first
  /// stage whose rows differ decides where all of that dump's rows come from, for that stage and
  /// every stage after it (a downstream row is only valid over the upstream rows it was computed
  /// from): the shard's when its row ranks higher — this crashsift's stage version first, then
  /// done over deferred over failed over pending — else the workspace's. Where the shard decides
  /// and holds no row for a later stage, the workspace's row of that stage is removed (the next
  /// stage run computes it, as a single run would after redoing its upstream). Rows that rank
  /// the same are the same result of the same input: the workspace keeps its own.
  func mergeStage(_ db: Database, _ stage: Stage) throws -> (taken: Int, stale: Int) {
    let rank = { (table: String) in
      """
      (CASE WHEN \(table).stage_version = \(stage.version) THEN 10 ELSE 0 END
        + CASE \(table).status WHEN 'done' THEN 4 WHEN 'deferred' THEN 3 WHEN 'failed' THEN 2
          ELSE 1 END)
      """
    }
    // Dumps this stage decides: not decided upstream, and the two rows differ in rank.
    try db.execute(
      sql: """
        INSERT INTO temp.merge_source (dump_sha256, source)
        SELECT dump, CASE WHEN theirs > ours THEN 'shard' ELSE 'main' END FROM (
          SELECT s.dump_sha256 AS dump, \(rank("s")) AS theirs,
            COALESCE((SELECT \(rank("m")) FROM main.stage_state m
              WHERE m.dump_sha256 = s.dump_sha256 AND m.stage = s.stage), 0) AS ours
          FROM shard.stage_state s WHERE s.stage = ?1
          UNION ALL
          SELECT m.dump_sha256, 0, \(rank("m")) FROM main.stage_state m
          WHERE m.stage = ?1 AND m.dump_sha256 IN (SELECT sha256 FROM shard.dumps)
            AND NOT EXISTS (SELECT 1 FROM shard.stage_state s
              WHERE s.dump_sha256 = m.dump_sha256 AND s.stage = ?1))
        WHERE theirs != ours
          AND dump NOT IN (SELECT dump_sha256 FROM temp.merge_source)
        """, arguments: [stage.name])
    let taking = "SELECT dump_sha256 FROM temp.merge_source WHERE source = 'shard'"
    let taken =
      try Int.fetchOne(
        db,
        sql:
          "SELECT COUNT(*) FROM shard.stage_state WHERE stage = ? AND dump_sha256 IN (\(taking))",
        arguments: [stage.name]) ?? 0
    let stale =
      try Int.fetchOne(
        db,
        sql: """
          SELECT COUNT(*) FROM shard.stage_state WHERE stage = ? AND stage_version != ?
          AND dump_sha256 IN (\(taking))
          """, arguments: [stage.name, stage.version]) ?? 0
    for table in stage.outputTables {
      try db.execute(sql: "DELETE FROM main.\(table) WHERE dump_sha256 IN (\(taking))")
      let exists =
        try Bool.fetchOne(
          db, sql: "SELECT 1 FROM shard.sqlite_master WHERE type = 'table' AND name = ?",
          arguments: [table]) ?? false
      guard exists else { continue }
      let list = try Self.columns(db, table)
      try db.execute(
        sql: """
          INSERT INTO main.\(table) (\(list)) SELECT \(list) FROM shard.\(table)
          WHERE dump_sha256 IN (\(taking))
          """)
    }
    try db.execute(
      sql: "DELETE FROM main.stage_state WHERE stage = ? AND dump_sha256 IN (\(taking))",
      arguments: [stage.name])
    let list = try Self.columns(db, "stage_state")
    try db.execute(
      sql: """
        INSERT INTO main.stage_state (\(list)) SELECT \(list) FROM shard.stage_state
        WHERE stage = ? AND dump_sha256 IN (\(taking))
        """, arguments: [stage.name])
    return (taken, stale)
  }

  /// A table's columns, quoted, in order: the same list selects and inserts.
  static func columns(_ db: Database, _ table: String) throws -> String {
    try Row.fetchAll(db, sql: "PRAGMA main.table_info(\(table))").map {
      "\"\($0["name"] as String)\""
    }.joined(separator: ", ")
  }

  /// Puts the dump at `source` into the store at `destination`: a hard link when both are on one
  /// filesystem, else a copy written to the store's temporary directory, flushed, then renamed.
  static func place(_ source: String, at destination: String, store: DumpStore) throws {
    let folder = (destination as NSString).deletingLastPathComponent
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    if link(source, destination) == 0 || errno == EEXIST { return }
    let temporary = "\(store.temporaryDirectory)/merge-\(UUID().uuidString)"
    do {
      try FileManager.default.copyItem(atPath: source, toPath: temporary)
      let fd = open(temporary, O_RDONLY)
      if fd >= 0 {
        fsync(fd)
        close(fd)
      }
      guard rename(temporary, destination) == 0 else {
        throw ClusterError(
          "cannot move \(temporary) to \(destination): \(String(cString: strerror(errno)))")
      }
    } catch let error as ClusterError {
      throw error
    } catch {
      unlink(temporary)
      throw ClusterError(
        "cannot copy the shard's dump \(source) into \(destination): \(error.localizedDescription); is the shard's store complete?"
      )
    }
  }

  /// SHA-256 of a database's rows: every table by name, every row ordered by all its columns,
  /// every value with its type. The same rows give the same digest whatever the file's pages
  /// look like (SQLite rewrites headers and pages without changing a row); a shard that ran
  /// again has a new run row, so a new digest.
  static func contentDigest(_ db: Database) throws -> String {
    var hasher = SHA256()
    let tables = try String.fetchAll(
      db,
      sql: """
        SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
        AND name NOT LIKE 'grdb_%' ORDER BY name
        """)
    for table in tables {
      let count = try Row.fetchAll(db, sql: "PRAGMA table_info(\"\(table)\")").count
      guard count > 0 else { continue }
      hasher.update(data: Data("table \(table)\n".utf8))
      let order = (1...count).map(String.init).joined(separator: ", ")
      let rows = try Row.fetchCursor(db, sql: "SELECT * FROM \"\(table)\" ORDER BY \(order)")
      while let row = try rows.next() {
        for value in row.databaseValues {
          switch value.storage {
          case .null: hasher.update(data: Data([0]))
          case .int64(let number): hasher.update(data: Data("i\(number)\u{1}".utf8))
          case .double(let number): hasher.update(data: Data("d\(number)\u{1}".utf8))
          case .string(let text): hasher.update(data: Data("s\(text.utf8.count):\(text)".utf8))
          case .blob(let data):
            hasher.update(data: Data("b\(data.count):".utf8))
            hasher.update(data: data)
          }
        }
        hasher.update(data: Data([0x0A]))
      }
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }

  static func quoted(_ text: String) -> String {
    let data = (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8)
    return String(decoding: data, as: UTF8.self)
  }
}
