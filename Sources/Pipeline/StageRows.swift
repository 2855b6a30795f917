import GRDB

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

  /// Inserts every row with one cached statement.
  func insert(_ db: Database) throws {
    guard !columns.isEmpty, !values.isEmpty else { return }
    let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ",")
    let statement = try db.cachedStatement(
      sql: "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))")
    var start = 0
    while start + columns.count <= values.count {
      try statement.execute(
        arguments: StatementArguments(Array(values[start..<(start + columns.count)])))
      start += columns.count
    }
  }
}
