import Foundation
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
  private var storage: Storage

  /// How the values are held: as SQLite values (what a stage builds), or as they crossed the
  /// pipe from a worker, checked and left encoded until the writer binds them.
  enum Storage: Sendable {
    case values([DatabaseValue])
    /// `count` rows of `WireFormat` values in `bytes[range]` (the reply's whole payload,
    /// shared by its tables).
    case wire(bytes: [UInt8], range: Range<Int>, count: Int)
  }

  public init(table: String, columns: [String]) {
    self.table = table
    self.columns = columns
    storage = .values([])
  }

  /// Rows as they arrived from a worker: `bytes[range]` holds `count` rows of values that
  /// `WireFormat` has already checked.
  init(table: String, columns: [String], wire bytes: [UInt8], range: Range<Int>, count: Int) {
    self.table = table
    self.columns = columns
    storage = .wire(bytes: bytes, range: range, count: count)
  }

  /// Row-major: `values.count` is a multiple of `columns.count`. Rows that came from a worker are
  /// decoded on each call (the writer never asks; it binds them straight from the bytes).
  public var values: [DatabaseValue] {
    switch storage {
    case .values(let values): return values
    case .wire(let bytes, let range, let count):
      var reader = WireFormat.Reader(bytes)
      reader.offset = range.lowerBound
      var values: [DatabaseValue] = []
      values.reserveCapacity(count * columns.count)
      for _ in 0..<(count * columns.count) {
        // Checked when the reply was decoded; a failure here cannot happen.
        values.append((try? reader.value()) ?? .null)
      }
      return values
    }
  }

  /// Number of rows.
  public var count: Int {
    switch storage {
    case .values(let values): columns.isEmpty ? 0 : values.count / columns.count
    case .wire(_, _, let count): count
    }
  }

  /// Whether `text` has a NUL byte: `memchr` over a native string's bytes (the generic
  /// `contains` on its UTF-8 view was the workers' top symbol, 1.3% of their samples).
  static func containsNUL(_ text: String) -> Bool {
    text.utf8.withContiguousStorageIfAvailable { bytes in
      guard let base = bytes.baseAddress else { return false }
      return memchr(base, 0, bytes.count) != nil
    } ?? text.utf8.contains(0)
  }

  /// Writes the values in their wire encoding (rows from a worker: their bytes as they came).
  func encodeValues(into writer: inout WireFormat.Writer) {
    switch storage {
    case .values(let values): for value in values { writer.value(value) }
    case .wire(let bytes, let range, _): writer.bytes(Array(bytes[range]))
    }
  }

  public static func == (lhs: StageRows, rhs: StageRows) -> Bool {
    lhs.table == rhs.table && lhs.columns == rhs.columns && lhs.values == rhs.values
  }

  /// Appends one row; `row` must have one value per column.
  public mutating func append(_ row: [(any DatabaseValueConvertible)?]) {
    precondition(
      row.count == columns.count, "\(table): \(row.count) values for \(columns.count) columns")
    var values = self.values
    // Released first, so the array below is uniquely referenced and grows in place.
    storage = .values([])
    for value in row {
      let converted = value?.databaseValue ?? .null
      // SQLite keeps text up to its first NUL (GRDB binds a String as a C string): cut it here,
      // so the stage handed the rows in memory sees what the checkpoint will hold.
      if case .string(let text) = converted.storage, Self.containsNUL(text) {
        values.append(String(decoding: text.utf8.prefix { $0 != 0 }, as: UTF8.self).databaseValue)
      } else {
        values.append(converted)
      }
    }
    storage = .values(values)
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
    switch storage {
    case .values(let values):
      guard width > 0 else { return }
      try insertBatches(db, rows: values.count / width) { handle, statement, first, count in
        var index: CInt = 1
        for value in values[(first * width)..<((first + count) * width)] {
          let code = value.bind(to: handle, at: index)
          guard code == SQLITE_OK else { throw Self.error(code, db, statement) }
          index += 1
        }
      }
    case .wire(let bytes, let range, let rows):
      try insertWire(db, bytes: bytes, range: range, rows: rows)
    }
  }

  /// Runs the batched INSERTs of `rows` rows: `bind` binds the values of rows `first..<first +
  /// count` to the statement (parameters from 1), which is then stepped, reset and cleared.
  private func insertBatches(
    _ db: Database, rows: Int,
    bind: (_ handle: SQLiteStatement, _ statement: Statement, _ first: Int, _ count: Int) throws
      -> Void
  ) throws {
    let width = columns.count
    guard width > 0, rows > 0 else { return }
    // SQLite's default limit is 32,766 bound variables a statement; stay far below it.
    let batch = max(1, min(Self.rowsPerStatement, 999 / width))
    var row = 0
    while row < rows {
      let count = min(batch, rows - row)
      let statement = try db.cachedStatement(sql: sql(rows: count))
      let handle = statement.sqliteStatement
      // The statement may hold the result of its last step; a reset's code repeats that old
      // result, not a new failure.
      sqlite3_reset(handle)
      do {
        try bind(handle, statement, row, count)
      } catch {
        sqlite3_clear_bindings(handle)
        throw error
      }
      let code = sqlite3_step(handle)
      let failure = code == SQLITE_DONE ? nil : Self.error(code, db, statement)
      sqlite3_reset(handle)
      sqlite3_clear_bindings(handle)
      if let failure { throw failure }
      row += count
    }
  }

  /// `insert` for rows still in their wire encoding: each value bound from the reply's bytes,
  /// text and blobs without a copy (a nil destructor is `SQLITE_STATIC`: the bytes outlive the
  /// statement's step, and the bindings are cleared before they go). A profile of the writer
  /// showed two thirds of its time in Swift's runtime and allocator, building, retaining and
  /// releasing the `DatabaseValue`s and strings of decoded rows.
  private func insertWire(_ db: Database, bytes: [UInt8], range: Range<Int>, rows: Int) throws {
    let width = columns.count
    guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
      throw WireFormat.Malformed(description: "rows outside their reply")
    }
    guard rows > 0, width > 0 else { return }
    try bytes.withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else {
        throw WireFormat.Malformed(description: "rows without bytes")
      }
      var offset = range.lowerBound
      let end = range.upperBound
      func u64(at position: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in (0..<8).reversed() { value = (value << 8) | UInt64(buffer[position + index]) }
        return value
      }
      func u32(at position: Int) -> Int {
        var value = 0
        for index in (0..<4).reversed() { value = (value << 8) | Int(buffer[position + index]) }
        return value
      }
      try insertBatches(db, rows: rows) { handle, statement, _, count in
        var index: CInt = 1
        for _ in 0..<(count * width) {
          // The decoder checked every tag and length against the frame; stay inside `end`
          // all the same.
          guard offset < end else { throw WireFormat.Malformed(description: "rows end early") }
          let tag = buffer[offset]
          offset += 1
          let code: CInt
          switch tag {
          case 0:
            code = sqlite3_bind_null(handle, index)
          case 1 where offset + 8 <= end:
            code = sqlite3_bind_int64(handle, index, Int64(bitPattern: u64(at: offset)))
            offset += 8
          case 2 where offset + 8 <= end:
            code = sqlite3_bind_double(handle, index, Double(bitPattern: u64(at: offset)))
            offset += 8
          case 3 where offset + 4 <= end, 4 where offset + 4 <= end:
            let length = u32(at: offset)
            offset += 4
            guard length <= end - offset else {
              throw WireFormat.Malformed(description: "a value runs past its rows")
            }
            let pointer = UnsafeRawPointer(base + offset)
            if tag == 3 {
              // Up to the first NUL, as GRDB binds a String (C string): the same text whether a
              // result came from a thread or over the pipe.
              let text = memchr(pointer, 0, length).map { pointer.distance(to: $0) } ?? length
              code = sqlite3_bind_text(
                handle, index, pointer.assumingMemoryBound(to: CChar.self), CInt(clamping: text),
                nil)
            } else {
              code = sqlite3_bind_blob(handle, index, pointer, CInt(clamping: length), nil)
            }
            offset += length
          default:
            throw WireFormat.Malformed(description: "value tag \(tag) at \(offset - 1)")
          }
          guard code == SQLITE_OK else { throw Self.error(code, db, statement) }
          index += 1
        }
      }
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
