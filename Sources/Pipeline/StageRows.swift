import GRDB
import GRDBSQLite
import Synchronization

/// Rows of one output table, as values: what a stage hands to the writer.
///
/// Values are SQLite's own (`DatabaseValue`: null, integer, real, text, blob), so a result built
/// in a worker process encodes without loss and the writer inserts exactly what a thread would
/// have. Table and column names come from the stage's code, never from a dump.
public struct StageRows: Sendable, Equatable {
  public var table: String
  public var columns: [String]
  /// Row-major: `values.count` is a multiple of `columns.count`.
  public private(set) var values: [DatabaseValue] = []

  public init(table: String, columns: [String]) {
    self.table = table
    self.columns = columns
  }

  /// Number of rows.
  public var count: Int { columns.isEmpty ? 0 : values.count / columns.count }

  /// Appends one row; `row` must have one value per column.
  public mutating func append(_ row: [(any DatabaseValueConvertible)?]) {
    precondition(
      row.count == columns.count, "\(table): \(row.count) values for \(columns.count) columns")
    for value in row { values.append(value?.databaseValue ?? .null) }
  }

  /// Appends one row of values already converted (used by the wire decoder, which checks counts).
  mutating func append(values row: ArraySlice<DatabaseValue>) {
    values.append(contentsOf: row)
  }

  /// Inserts every row: up to `rowsPerStatement` rows a statement, each statement cached.
  ///
  /// This is the single writer's hot loop (perf, 10,000 forged dumps: inserting was 18% of the
  /// parent's time, `StatementArguments` alone 10%). So the rows go in batches, one statement a
  /// batch, and the values are bound straight to the cached statement with GRDB's own
  /// `DatabaseValue.bind` instead of through a `StatementArguments` per row. Statements are
  /// cached per row count: at most `rowsPerStatement` per table.
  func insert(_ db: Database) throws {
    let width = columns.count
    guard width > 0, !values.isEmpty else { return }
    // SQLite's default limit is 32,766 bound variables a statement; stay far below it.
    let batch = max(1, min(Self.rowsPerStatement, 999 / width))
    let rows = values.count / width
    var row = 0
    while row < rows {
      let count = min(batch, rows - row)
      let statement = try db.cachedStatement(sql: sql(rows: count))
      let handle = statement.sqliteStatement
      // The statement may hold the result of its last step; a reset's code repeats that old
      // result, not a new failure.
      sqlite3_reset(handle)
      var index: CInt = 1
      for value in values[(row * width)..<((row + count) * width)] {
        let code = value.bind(to: handle, at: index)
        guard code == SQLITE_OK else { throw Self.error(code, db, statement) }
        index += 1
      }
      let code = sqlite3_step(handle)
      let failure = code == SQLITE_DONE ? nil : Self.error(code, db, statement)
      sqlite3_reset(handle)
      sqlite3_clear_bindings(handle)
      if let failure { throw failure }
      row += count
    }
  }

  /// A failed bind or step as GRDB reports it (the disk-full check reads its result code).
  private static func error(_ code: CInt, _ db: Database, _ statement: Statement) -> DatabaseError {
    DatabaseError(
      resultCode: ResultCode(rawValue: code), message: db.lastErrorMessage, sql: statement.sql)
  }

  /// Rows a single INSERT carries at most.
  static let rowsPerStatement = 32

  /// The INSERT text for `rows` rows, remembered per table and row count: building it cost as
  /// much as binding the values.
  private func sql(rows: Int) -> String {
    let key = "\(rows) \(table)"
    if let known = Self.sqlCache.withLock({ $0[key] }), known.columns == columns {
      return known.sql
    }
    let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ",") + ")"
    let sql =
      "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
      + Array(repeating: tuple, count: rows).joined(separator: ",")
    // Tables and row counts are the stages' own (at most `rowsPerStatement` per table), so the
    // cache stays small.
    Self.sqlCache.withLock { $0[key] = (columns, sql) }
    return sql
  }

  private static let sqlCache = Mutex<[String: (columns: [String], sql: String)]>([:])
}
