import GRDB

/// Where a stage's `load` reads the rows upstream stages wrote for one dump.
///
/// Within a pass that takes a dump through several stages on one worker (the hand-off), the
/// stages that already ran for this dump have not been committed yet: their rows are here in
/// memory, and they are the truth for their tables (the checkpoint still holds the previous
/// run's rows, which the writer replaces only at commit). Every other table is read from the
/// checkpoint, as when the stage runs alone.
public struct UpstreamRows {
  /// The dump whose rows are read.
  public let dump: String
  /// Output tables of the stages that ran before this one in the pass, with their rows in the
  /// order the stages produced them (a table such a stage did not fill maps to none).
  let handedOff: [String: [StageRows]]
  /// A read transaction on the checkpoint; nil when every table asked for is handed off.
  let db: Database?

  init(dump: String, handedOff: [String: [StageRows]], db: Database?) {
    self.dump = dump
    self.handedOff = handedOff
    self.db = db
  }

  struct MissingDatabase: Error, CustomStringConvertible {
    var table: String
    var description: String { "no checkpoint to read \(table) from" }
  }

  /// The values of `columns` in the dump's rows of `table`, ordered by the integer column `order`
  /// (nil: in insertion order). A column a handed-off table lacks reads as NULL.
  public func rows(_ table: String, columns: [String], orderedBy order: String? = nil) throws
    -> [[DatabaseValue]]
  {
    if let groups = handedOff[table] {
      var result: [(key: Int64, values: [DatabaseValue])] = []
      var ordered = false
      for rows in groups {
        let width = rows.columns.count
        // Once per group: rows that came over a pipe decode their values on each call.
        let all = rows.values
        let positions = columns.map { rows.columns.firstIndex(of: $0) }
        let keyColumn = order.flatMap { rows.columns.firstIndex(of: $0) }
        ordered = ordered || keyColumn != nil
        for row in 0..<rows.count {
          let base = row * width
          var values: [DatabaseValue] = []
          values.reserveCapacity(columns.count)
          for position in positions {
            values.append(position.map { all[base + $0] } ?? .null)
          }
          let key = keyColumn.flatMap { Int64.fromDatabaseValue(all[base + $0]) } ?? 0
          result.append((key, values))
        }
      }
      // Stable: rows with equal keys keep the stage's order.
      if ordered {
        result = result.enumerated().sorted {
          ($0.element.key, $0.offset) < ($1.element.key, $1.offset)
        }.map(\.element)
      }
      return result.map(\.values)
    }
    guard let db else { throw MissingDatabase(table: table) }
    // Names come from the stages' code, never from a dump; the statement is cached per text.
    let sql =
      "SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE dump_sha256 = ?"
      + (order.map { " ORDER BY \($0)" } ?? "")
    let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [dump])
    var result: [[DatabaseValue]] = []
    while let row = try cursor.next() {
      result.append((0..<columns.count).map { row[$0] as DatabaseValue })
    }
    return result
  }
}
