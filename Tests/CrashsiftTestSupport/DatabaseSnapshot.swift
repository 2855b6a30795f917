import GRDB

/// The content of a workspace database that must not depend on how a run was interrupted:
/// every table's rows without timestamps, attempt counters and run bookkeeping.
public enum DatabaseSnapshot {
  static let queries: [(String, String)] = [
    ("dumps", "SELECT sha256, size, kind FROM dumps ORDER BY sha256"),
    (
      "occurrences",
      "SELECT archive_sha256, entry_path, dump_sha256, batch, entry_mtime FROM occurrences ORDER BY 1, 2"
    ),
    (
      "archives",
      "SELECT sha256, path, size, batch, build, status, error, entries, dumps, skipped, formats FROM archives ORDER BY 1"
    ),
    ("archive_sources", "SELECT path, sha256, size, batch FROM archive_sources ORDER BY 1"),
    (
      "archive_issues",
      "SELECT archive_sha256, entry_path, reason FROM archive_issues ORDER BY 1, 2"
    ),
    (
      "stage_state",
      "SELECT dump_sha256, stage, stage_version, status, error FROM stage_state ORDER BY 1, 2"
    ),
    (
      "symbolized_frames",
      "SELECT dump_sha256, frame, address, module, module_offset, function, function_offset, trust, missing FROM symbolized_frames ORDER BY 1, 2"
    ),
    ("stack_walks", "SELECT * FROM stack_walks ORDER BY 1"),
    ("buckets", "SELECT * FROM buckets ORDER BY 1"),
    ("parsed_dumps", "SELECT * FROM parsed_dumps ORDER BY 1"),
    ("dump_modules", "SELECT * FROM dump_modules ORDER BY 1, 2"),
    ("kernel_dumps", "SELECT * FROM kernel_dumps ORDER BY 1"),
    ("kernel_processes", "SELECT * FROM kernel_processes ORDER BY 1, 2"),
    ("kernel_threads", "SELECT * FROM kernel_threads ORDER BY 1, 2, 3"),
    ("thread_frames", "SELECT * FROM thread_frames ORDER BY 1, 2, 3"),
  ]

  /// `symbol_lookups`, for comparisons over the same symbol path.
  public static let symbolLookups = ("symbol_lookups", "SELECT * FROM symbol_lookups ORDER BY 1, 2")

  /// One line per row, prefixed by its table, in a stable order.
  /// - Parameter extra: more `(table, query)` pairs, e.g. `symbolLookups` where the symbol path
  ///   is the same on both sides (its answers name where each file was found).
  public static func lines(databasePath: String, extra: [(String, String)] = []) throws
    -> [String]
  {
    let queue = try DatabaseQueue(path: databasePath)
    return try queue.read { db in
      var lines: [String] = []
      for (table, sql) in queries + extra {
        for row in try Row.fetchAll(db, sql: sql) {
          let values = row.databaseValues.map { $0.isNull ? "NULL" : "\($0)" }
          lines.append("\(table)|" + values.joined(separator: "|"))
        }
      }
      return lines
    }
  }
}
