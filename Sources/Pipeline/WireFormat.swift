import Checkpoint
import Foundation
import GRDB

/// The messages between `crashsift run` and its worker processes, and their byte encoding.
///
/// A frame is a little-endian `UInt32` payload length, then the payload: one kind byte and the
/// fields. Strings are a `UInt32` length and UTF-8; values carry one tag byte (SQLite's storage
/// classes). Every length is checked against the frame before anything is allocated, so a worker
/// that dies half-way through a write produces a short frame, never a wrong result.
enum WireFormat {
  /// The largest frame accepted (a result of one dump: thousands of rows at most).
  static let maxFrame = 256 << 20

  /// What the parent sends.
  enum Request: Sendable {
    /// First message: how to build the stages and where the workspace is.
    case setup(WorkerSetup)
    /// Process these dumps, in order, with the stage at `stage` (index into the setup's stages)
    /// and each on through the stage at `through` (the hand-off; `through == stage`: one stage).
    case batch(stage: Int, through: Int, items: [WorkItem])
  }

  /// What a worker sends.
  enum Reply: Sendable {
    /// Setup succeeded; the worker waits for batches.
    case ready(pid: Int32)
    /// The result for the next dump of the current batch (its last stage's, when it went
    /// through several).
    case result(StageResult)
    /// A result of one stage of the dump in progress; the next stage's result follows.
    case partial(StageResult)
    /// The worker cannot work at all (bad setup); it exits after this.
    case fatal(String)
  }

  struct Malformed: Error, CustomStringConvertible {
    var description: String
  }

  // MARK: Encoding

  static func encode(_ request: Request) throws -> [UInt8] {
    var writer = Writer()
    switch request {
    case .setup(let setup):
      writer.byte(1)
      writer.bytes(Array(try JSONEncoder().encode(setup)))
    case .batch(let stage, let through, let items):
      writer.byte(2)
      writer.u32(UInt32(truncatingIfNeeded: stage))
      writer.u32(UInt32(truncatingIfNeeded: through))
      writer.u32(UInt32(truncatingIfNeeded: items.count))
      for item in items {
        writer.string(item.dumpSHA256)
        writer.string(item.kind.rawValue)
        writer.u64(UInt64(bitPattern: item.size))
        writer.u32(UInt32(truncatingIfNeeded: item.attempts))
      }
    }
    return writer.framed()
  }

  static func encode(_ reply: Reply) -> [UInt8] {
    var writer = Writer()
    switch reply {
    case .ready(let pid):
      writer.byte(1)
      writer.u32(UInt32(bitPattern: pid))
    case .result(let result), .partial(let result):
      if case .partial = reply { writer.byte(4) } else { writer.byte(2) }
      writer.byte(statusCode(result.outcome.status))
      writer.optionalString(result.outcome.error)
      writer.u32(UInt32(truncatingIfNeeded: result.tables.count))
      for rows in result.tables {
        writer.string(rows.table)
        writer.u32(UInt32(truncatingIfNeeded: rows.columns.count))
        for column in rows.columns { writer.string(column) }
        writer.u32(UInt32(truncatingIfNeeded: rows.count))
        rows.encodeValues(into: &writer)
      }
    case .fatal(let message):
      writer.byte(3)
      writer.string(message)
    }
    return writer.framed()
  }

  // MARK: Decoding

  static func decodeRequest(_ payload: [UInt8]) throws -> Request {
    var reader = Reader(payload)
    switch try reader.byte() {
    case 1:
      let json = try reader.rest()
      do {
        return .setup(try JSONDecoder().decode(WorkerSetup.self, from: Data(json)))
      } catch {
        throw Malformed(description: "setup message: \(error)")
      }
    case 2:
      let stage = Int(try reader.u32())
      let through = Int(try reader.u32())
      let count = try reader.count(minimumBytesEach: 16)
      var items: [WorkItem] = []
      items.reserveCapacity(count)
      for _ in 0..<count {
        let sha = try reader.string()
        let kindName = try reader.string()
        guard let kind = DumpKind(rawValue: kindName) else {
          throw Malformed(description: "unknown dump kind \(kindName)")
        }
        let size = Int64(bitPattern: try reader.u64())
        let attempts = Int(try reader.u32())
        items.append(WorkItem(dumpSHA256: sha, kind: kind, size: size, attempts: attempts))
      }
      return .batch(stage: stage, through: through, items: items)
    case let kind:
      throw Malformed(description: "unknown request kind \(kind)")
    }
  }

  static func decodeReply(_ payload: [UInt8]) throws -> Reply {
    var reader = Reader(payload)
    switch try reader.byte() {
    case 1:
      return .ready(pid: Int32(bitPattern: try reader.u32()))
    case let kind where kind == 2 || kind == 4:
      let status = try status(try reader.byte())
      let error = try reader.optionalString()
      let tableCount = try reader.count(minimumBytesEach: 12)
      var tables: [StageRows] = []
      tables.reserveCapacity(tableCount)
      for _ in 0..<tableCount {
        let table = try reader.string()
        let columnCount = try reader.count(minimumBytesEach: 4)
        var columns: [String] = []
        for _ in 0..<columnCount { columns.append(try reader.string()) }
        let rowCount = try reader.count(minimumBytesEach: max(1, columnCount))
        // Checked here, value by value, and left encoded: the writer binds them from these
        // bytes (`StageRows.insert`).
        let start = reader.offset
        for _ in 0..<(rowCount * columnCount) { try reader.skipValue() }
        let rows = StageRows(
          table: table, columns: columns, wire: payload, range: start..<reader.offset,
          count: columnCount == 0 ? 0 : rowCount)
        tables.append(rows)
      }
      let result = StageResult(
        outcome: StageOutcome(status: status, error: error), tables: tables)
      return kind == 4 ? .partial(result) : .result(result)
    case 3:
      return .fatal(try reader.string())
    case let kind:
      throw Malformed(description: "unknown reply kind \(kind)")
    }
  }

  private static func statusCode(_ status: StageStatus) -> UInt8 {
    switch status {
    case .pending: 0
    case .running: 1
    case .done: 2
    case .failed: 3
    case .deferred: 4
    }
  }

  private static func status(_ code: UInt8) throws -> StageStatus {
    switch code {
    case 0: .pending
    case 1: .running
    case 2: .done
    case 3: .failed
    case 4: .deferred
    default: throw Malformed(description: "unknown stage status \(code)")
    }
  }

  // MARK: Bytes

  struct Writer {
    var buffer: [UInt8] = [0, 0, 0, 0]

    mutating func byte(_ value: UInt8) { buffer.append(value) }
    mutating func u32(_ value: UInt32) {
      withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }
    mutating func u64(_ value: UInt64) {
      withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }
    mutating func bytes(_ value: [UInt8]) { buffer.append(contentsOf: value) }
    mutating func string(_ value: String) {
      let utf8 = value.utf8
      u32(UInt32(truncatingIfNeeded: utf8.count))
      buffer.append(contentsOf: utf8)
    }
    mutating func optionalString(_ value: String?) {
      if let value {
        byte(1)
        string(value)
      } else {
        byte(0)
      }
    }
    mutating func value(_ value: DatabaseValue) {
      switch value.storage {
      case .null: byte(0)
      case .int64(let number):
        byte(1)
        u64(UInt64(bitPattern: number))
      case .double(let number):
        byte(2)
        u64(number.bitPattern)
      case .string(let text):
        byte(3)
        string(text)
      case .blob(let data):
        byte(4)
        u32(UInt32(truncatingIfNeeded: data.count))
        buffer.append(contentsOf: data)
      }
    }

    /// The buffer with its length prefix filled in.
    mutating func framed() -> [UInt8] {
      let length = UInt32(truncatingIfNeeded: buffer.count - 4).littleEndian
      withUnsafeBytes(of: length) { raw in
        for index in 0..<4 { buffer[index] = raw[index] }
      }
      return buffer
    }
  }

  struct Reader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
      guard count >= 0, count <= bytes.count - offset else {
        throw Malformed(
          description: "message ends at \(bytes.count) bytes; \(count) more needed at \(offset)")
      }
      defer { offset += count }
      return bytes[offset..<(offset + count)]
    }

    mutating func byte() throws -> UInt8 {
      guard let first = try take(1).first else { throw Malformed(description: "empty message") }
      return first
    }

    mutating func u32() throws -> UInt32 {
      try take(4).reversed().reduce(0) { ($0 << 8) | UInt32($1) }
    }

    mutating func u64() throws -> UInt64 {
      try take(8).reversed().reduce(0) { ($0 << 8) | UInt64($1) }
    }

    /// A count of items that each take at least `minimumBytesEach` bytes: larger counts than
    /// the rest of the message could hold are refused before anything is allocated.
    mutating func count(minimumBytesEach: Int) throws -> Int {
      let count = Int(try u32())
      guard count <= (bytes.count - offset) / max(1, minimumBytesEach) else {
        throw Malformed(description: "count \(count) does not fit in the message")
      }
      return count
    }

    mutating func string() throws -> String {
      let length = Int(try u32())
      return String(decoding: try take(length), as: UTF8.self)
    }

    mutating func optionalString() throws -> String? {
      try byte() == 0 ? nil : try string()
    }

    mutating func value() throws -> DatabaseValue {
      switch try byte() {
      case 0: return .null
      case 1: return Int64(bitPattern: try u64()).databaseValue
      case 2: return Double(bitPattern: try u64()).databaseValue
      case 3: return try string().databaseValue
      case 4:
        let length = Int(try u32())
        return Data(try take(length)).databaseValue
      case let tag: throw Malformed(description: "unknown value tag \(tag)")
      }
    }

    mutating func rest() throws -> ArraySlice<UInt8> { try take(bytes.count - offset) }

    /// Steps over one value, checking its tag, its length and that text is UTF-8.
    mutating func skipValue() throws {
      switch try byte() {
      case 0: break
      case 1, 2: _ = try take(8)
      case 3:
        let text = try take(Int(try u32()))
        // ASCII is valid UTF-8; anything else is checked properly (rare in dumps' names).
        if !text.allSatisfy({ $0 < 0x80 }), String(validating: text, as: UTF8.self) == nil {
          throw Malformed(description: "text that is not UTF-8 at \(offset - text.count)")
        }
      case 4: _ = try take(Int(try u32()))
      case let tag: throw Malformed(description: "unknown value tag \(tag)")
      }
    }
  }
}
