import Foundation
import GRDB
import Testing

@testable import Pipeline

/// The writer's batched insert (`StageRows.insert`) stores exactly what GRDB's own statement
/// arguments would, in order, whatever the batch boundaries.
@Suite("stage rows")
struct StageRowsTests {
  /// Every SQLite storage class, including the values a binding can get wrong: an empty blob, a
  /// string with a NUL inside, non-ASCII text, the integer extremes.
  static let samples: [DatabaseValue] = [
    .null, 0.databaseValue, Int64.min.databaseValue, Int64.max.databaseValue,
    (-1.5).databaseValue, "".databaseValue, "nul\u{0}inside".databaseValue,
    "ntoskrnl.exe!KiPageFault ñ 名".databaseValue, Data().databaseValue,
    Data([0, 1, 2, 0xFF]).databaseValue,
  ]

  /// `rows` as the writer gets them from a worker: encoded in a result, decoded back.
  static func crossed(_ rows: StageRows) throws -> StageRows {
    var buffer = FrameBuffer()
    WireFormat.encode(.result(StageResult(tables: [rows]))).withUnsafeBytes { buffer.append($0) }
    guard let frame = try buffer.next(),
      case .result(let result) = try WireFormat.decodeReply(frame),
      let back = result.tables.first
    else { throw WireFormat.Malformed(description: "no result") }
    return back
  }

  @Test("text is kept up to its first NUL, as SQLite stores it, before any stage sees it")
  func textToFirstNUL() throws {
    var rows = StageRows(table: "t", columns: ["a", "b"])
    rows.append(["drv\u{0}.sys", Data([1, 0, 2])])
    // What the next stage of a hand-off reads is what the checkpoint will hold.
    #expect(rows.values == ["drv".databaseValue, Data([1, 0, 2]).databaseValue])
    #expect(try Self.crossed(rows) == rows)
  }

  @Test("text that is not UTF-8 is refused when a reply is decoded, not stored")
  func invalidText() throws {
    var rows = StageRows(table: "t", columns: ["a"])
    rows.append(["ascii"])
    let frame = WireFormat.encode(.result(StageResult(tables: [rows])))
    // Frame: length, kind, status, no error, 1 table, "t", 1 column, "a", 1 row, tag 3, "ascii".
    var payload = Array(frame.dropFirst(4))
    let at = try #require(payload.lastIndex(of: UInt8(ascii: "a")))
    payload[at] = 0xC3  // a lead byte with nothing after it
    #expect(throws: WireFormat.Malformed.self) { _ = try WireFormat.decodeReply(payload) }
  }

  @Test("rows in batches of every size read back equal and in order")
  func roundTrip() throws {
    let queue = try DatabaseQueue()
    for (width, count) in [(1, 1), (3, 31), (3, 32), (3, 33), (3, 100), (40, 30), (40, 24), (2, 0)]
    {
      let table = "t_\(width)_\(count)"
      let columns = (0..<width).map { "c\($0)" }
      var rows = StageRows(table: table, columns: columns)
      var given: [[DatabaseValue]] = []
      for row in 0..<count {
        let values = (0..<width).map { Self.samples[(row * 7 + $0) % Self.samples.count] }
        rows.append(values.map { $0 as (any DatabaseValueConvertible)? })
        given.append(values)
      }
      try queue.write { db in
        let list = columns.joined(separator: ", ")
        try db.execute(sql: "CREATE TABLE \(table) (\(list))")
        try db.execute(sql: "CREATE TABLE reference_\(table) (\(list))")
        try db.execute(sql: "CREATE TABLE wire_\(table) (\(list))")
        try rows.insert(db)
        // The same rows after crossing the pipe from a worker: bound from the reply's bytes.
        var crossed = try Self.crossed(rows)
        #expect(crossed == rows, "\(table): decoded values")
        crossed.table = "wire_\(table)"
        try crossed.insert(db)
        // What GRDB's own arguments store, a row at a time (SQLite keeps text up to a NUL).
        let marks = Array(repeating: "?", count: width).joined(separator: ",")
        for values in given {
          try db.execute(
            sql: "INSERT INTO reference_\(table) (\(list)) VALUES (\(marks))",
            arguments: StatementArguments(values))
        }
        let stored = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY rowid")
        let expected = try Row.fetchAll(
          db, sql: "SELECT * FROM reference_\(table) ORDER BY rowid")
        #expect(stored.count == count, "\(table)")
        #expect(stored == expected, "\(table)")
        let wire = try Row.fetchAll(db, sql: "SELECT * FROM wire_\(table) ORDER BY rowid")
        #expect(wire == expected, "\(table) from the pipe")
        for (index, row) in stored.enumerated() {
          #expect(row.databaseValues.count == width)
          #expect(
            Array(row.databaseValues).filter(\.isNull).count
              == given[index].filter(\.isNull).count, "\(table) row \(index)")
        }
      }
    }
  }

  @Test("a failing batch throws SQLite's error and leaves the statement usable")
  func failure() throws {
    let queue = try DatabaseQueue()
    try queue.write { db in
      try db.execute(sql: "CREATE TABLE u (k INTEGER UNIQUE, v TEXT)")
      var clash = StageRows(table: "u", columns: ["k", "v"])
      clash.append([1, "a"])
      clash.append([1, "b"])
      do {
        try clash.insert(db)
        Issue.record("a duplicate key was inserted")
      } catch let error as DatabaseError {
        #expect(error.resultCode == .SQLITE_CONSTRAINT)
        #expect(error.sql?.hasPrefix("INSERT INTO u (k, v) VALUES") == true)
      }
      // The same cached two-row statement, now with distinct keys.
      var fine = StageRows(table: "u", columns: ["k", "v"])
      fine.append([2, "c"])
      fine.append([3, "d"])
      try fine.insert(db)
      #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM u") == 2)
    }
  }
}
