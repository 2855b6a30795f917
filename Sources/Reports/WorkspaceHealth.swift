import Foundation
import GRDB

/// What the report must not drop silently: how many archives and dumps were read, which of them
/// failed and why, and which modules had no symbols (with the dumps they affected).
public struct WorkspaceHealth: Codable, Sendable, Equatable {
  /// An archive, archive entry or dump that could not be read, with the reason.
  public struct Failure: Codable, Sendable, Equatable {
    /// `archive` (the whole archive), `entry` (one entry not stored) or `dump` (a stage failed).
    public var kind: String
    /// The stage that failed (`ingest` for archives and entries).
    public var stage: String
    public var archive: String
    public var entry: String
    /// SHA-256 of the dump (empty for archives and entries).
    public var dump: String
    public var reason: String
  }

  /// A module the stack walk met without symbols: its debug identity and the dumps affected.
  public struct MissingSymbol: Codable, Sendable, Equatable {
    public var module: String
    public var debugFile: String
    public var debugID: String
    public var reason: String
    public var dumps: Int
  }

  /// One module lookup of the crashing stacks (`symbol_lookups`): whether a table was found,
  /// what answered (the file read, and the server it came from when downloaded in that run) or
  /// where it was looked for and why nothing answered, with the dumps it concerns.
  public struct SymbolSource: Codable, Sendable, Equatable {
    public var module: String
    /// `pdb:<file>/<ID>` or `image:<name>/<TIMESTAMP><SIZE>`.
    public var lookup: String
    public var found: Bool
    public var answer: String
    public var dumps: Int
    /// Dumps deferred until this lookup finds a table.
    public var waiting: Int
  }

  public var archives = 0
  public var archivesFailed = 0
  /// Distinct dumps and their occurrences (one dump can arrive in several archives).
  public var dumps = 0
  public var occurrences = 0
  public var parsed = 0
  public var bucketed = 0
  /// Dumps waiting in a stage (symbols not yet available).
  public var deferred = 0
  /// Crashing-thread walks, and those with every module's symbols found.
  public var walked = 0
  public var fullySymbolized = 0
  public var failures: [Failure] = []
  public var missingSymbols: [MissingSymbol] = []
  public var symbolSources: [SymbolSource] = []

  public init() {}

  /// The counts by name, in the order the summary shows them.
  public var figures: [(String, Int)] {
    [
      ("archives", archives), ("archives_failed", archivesFailed), ("dumps", dumps),
      ("occurrences", occurrences), ("parsed", parsed), ("bucketed", bucketed),
      ("deferred", deferred), ("failed_items", failures.count), ("stacks_walked", walked),
      ("stacks_fully_symbolized", fullySymbolized),
    ]
  }

  /// Reads the counts, failures and missing symbols of `database`; archive paths under
  /// `relativeTo` are shown relative to it.
  public static func load(database: DatabaseQueue, relativeTo base: String?) throws
    -> WorkspaceHealth
  {
    let relative = RelativePath(base: base)
    return try database.read { db in
      var health = WorkspaceHealth()
      func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql) ?? 0 }
      health.archives = try count("SELECT COUNT(*) FROM archives")
      health.archivesFailed = try count("SELECT COUNT(*) FROM archives WHERE status = 'failed'")
      health.dumps = try count("SELECT COUNT(*) FROM dumps")
      health.occurrences = try count("SELECT COUNT(*) FROM occurrences")
      health.parsed = try count("SELECT COUNT(*) FROM parsed_dumps")
      health.bucketed = try count("SELECT COUNT(*) FROM buckets")
      health.deferred = try count(
        "SELECT COUNT(DISTINCT dump_sha256) FROM stage_state WHERE status = 'deferred'")
      health.walked = try count("SELECT COUNT(*) FROM stack_walks")
      health.fullySymbolized = try count(
        "SELECT COUNT(*) FROM stack_walks WHERE missing_symbols IS NULL")
      for row in try Row.fetchAll(
        db,
        sql: "SELECT path, error FROM archives WHERE status = 'failed' ORDER BY path")
      {
        health.failures.append(
          Failure(
            kind: "archive", stage: "ingest", archive: relative.of(row["path"]), entry: "",
            dump: "", reason: relative.within((row["error"] as String?) ?? "unknown error")))
      }
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT a.path, i.entry_path, i.reason FROM archive_issues i
          JOIN archives a ON a.sha256 = i.archive_sha256 ORDER BY a.path, i.entry_path
          """)
      {
        health.failures.append(
          Failure(
            kind: "entry", stage: "ingest", archive: relative.of(row["path"]),
            entry: row["entry_path"], dump: "", reason: relative.within(row["reason"])))
      }
      // A failed dump is shown with its first occurrence, so it can be found in the uploads.
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT s.dump_sha256, s.stage, s.error,
            (SELECT a.path FROM occurrences o JOIN archives a ON a.sha256 = o.archive_sha256
              WHERE o.dump_sha256 = s.dump_sha256 ORDER BY a.path, o.entry_path LIMIT 1) AS path,
            (SELECT o.entry_path FROM occurrences o JOIN archives a ON a.sha256 = o.archive_sha256
              WHERE o.dump_sha256 = s.dump_sha256 ORDER BY a.path, o.entry_path LIMIT 1) AS entry
          FROM stage_state s WHERE s.status = 'failed' ORDER BY path, entry, s.stage
          """)
      {
        health.failures.append(
          Failure(
            kind: "dump", stage: row["stage"], archive: relative.of((row["path"] as String?) ?? ""),
            entry: (row["entry"] as String?) ?? "", dump: row["dump_sha256"],
            reason: relative.within((row["error"] as String?) ?? "unknown error")))
      }
      health.missingSymbols = try missingSymbols(db).map {
        var missing = $0
        missing.reason = relative.within(missing.reason)
        return missing
      }
      health.symbolSources = try symbolSources(db).map {
        var source = $0
        source.answer = relative.within(source.answer)
        return source
      }
      return health
    }
  }

  /// `symbol_lookups` by lookup and answer: most dumps first, then missing before found.
  static func symbolSources(_ db: Database) throws -> [SymbolSource] {
    // Older workspaces have no such table until their next run's migration.
    guard try db.tableExists("symbol_lookups") else { return [] }
    return try Row.fetchAll(
      db,
      sql: """
        SELECT l.lookup, MIN(COALESCE(l.module, '')) AS module, l.found, l.answer,
          COUNT(*) AS dumps,
          SUM(CASE WHEN l.blocking = 1 AND s.status = 'deferred' THEN 1 ELSE 0 END) AS waiting
        FROM symbol_lookups l
        LEFT JOIN stage_state s ON s.dump_sha256 = l.dump_sha256 AND s.stage = 'symbolize'
        GROUP BY l.lookup, l.found, l.answer
        ORDER BY dumps DESC, l.found, l.lookup, l.answer
        """
    ).map { row in
      SymbolSource(
        module: row["module"], lookup: row["lookup"], found: (row["found"] as Int) != 0,
        answer: row["answer"], dumps: row["dumps"], waiting: row["waiting"])
    }
  }

  /// Aggregates `stack_walks.missing_symbols` (a JSON object: module name → reason) by module
  /// and debug identity, with the number of dumps each one left without names.
  static func missingSymbols(_ db: Database) throws -> [MissingSymbol] {
    var identities: [String: [String: (file: String, id: String)]] = [:]
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT m.dump_sha256, m.name, m.debug_file, m.debug_id FROM dump_modules m
        JOIN stack_walks w ON w.dump_sha256 = m.dump_sha256 WHERE w.missing_symbols IS NOT NULL
        """)
    {
      let name: String = row["name"]
      let base = String(name.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last ?? "")
      identities[row["dump_sha256"] as String, default: [:]][base.lowercased()] = (
        (row["debug_file"] as String?) ?? "", (row["debug_id"] as String?) ?? ""
      )
    }
    struct Key: Hashable {
      var module: String
      var file: String
      var id: String
    }
    var dumps: [Key: Set<String>] = [:]
    var reasons: [Key: String] = [:]
    for row in try Row.fetchAll(
      db,
      sql: "SELECT dump_sha256, missing_symbols FROM stack_walks WHERE missing_symbols IS NOT NULL")
    {
      let dump: String = row["dump_sha256"]
      let text: String = row["missing_symbols"]
      guard
        let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
      else { continue }
      for (module, reason) in object {
        let base = String(module.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last ?? "")
        let identity = identities[dump]?[base.lowercased()] ?? ("", "")
        let key = Key(module: module, file: identity.file, id: identity.id)
        dumps[key, default: []].insert(dump)
        if reasons[key] == nil { reasons[key] = (reason as? String) ?? "\(reason)" }
      }
    }
    return dumps.map { key, set in
      MissingSymbol(
        module: key.module, debugFile: key.file, debugID: key.id, reason: reasons[key] ?? "",
        dumps: set.count)
    }.sorted { ($1.dumps, $0.module, $0.debugID) < ($0.dumps, $1.module, $1.debugID) }
  }
}
