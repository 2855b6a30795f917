import Checkpoint
import CrashsiftTestSupport
import Foundation
import GRDB
import Synchronization
import Testing

@testable import Pipeline

/// A per-dump stage for exercising the engine: records the dump's size and its own version.
final class CountingStage: DumpStage, @unchecked Sendable {
  let name: String
  let version: Int
  private let processed = Mutex<[String]>([])
  var table: String { "test_\(name)" }
  var outputTables: [String] { [table] }
  let failOn: Set<String>

  init(name: String, version: Int, failOn: Set<String> = []) {
    self.name = name
    self.version = version
    self.failOn = failOn
  }

  var seen: [String] { processed.withLock { $0.sorted() } }

  func prepare(_ db: Database) throws {
    try db.execute(
      sql: "CREATE TABLE IF NOT EXISTS \(table) (dump_sha256 TEXT NOT NULL, value TEXT NOT NULL)")
  }

  struct Failure: Error, CustomStringConvertible { var description: String }

  func process(_ input: DumpStageInput) throws -> StageResult {
    processed.withLock { $0.append(input.item.dumpSHA256) }
    if failOn.contains(input.item.dumpSHA256) { throw Failure(description: "synthetic failure") }
    let size = (try? FileManager.default.attributesOfItem(atPath: input.path)[.size] as? Int) ?? -1
    let value = "v\(version):\(size)"
    var rows = StageRows(table: table, columns: ["dump_sha256", "value"])
    rows.append([input.item.dumpSHA256, value])
    return StageResult(tables: [rows])
  }
}

/// Writes one row, then fails on a constraint: the savepoint must take the first row back.
struct HalfWritingStage: DumpStage {
  let name = "half"
  let version = 1
  let outputTables = ["test_half"]

  func prepare(_ db: Database) throws {
    try db.execute(
      sql: "CREATE TABLE IF NOT EXISTS test_half (dump_sha256 TEXT NOT NULL, n INTEGER UNIQUE)")
  }

  func process(_ input: DumpStageInput) throws -> StageResult {
    let sha = input.item.dumpSHA256
    // The same unique value twice: the second insert fails after the first succeeded.
    var rows = StageRows(table: "test_half", columns: ["dump_sha256", "n"])
    rows.append([sha, 1000 + sha.count])
    rows.append([sha, 1000 + sha.count])
    return StageResult(tables: [rows])
  }
}

/// Returns rows for a table it does not own: the writer must refuse them.
struct ForeignTableStage: DumpStage {
  let name = "foreign"
  let version = 1
  let outputTables = ["test_foreign"]

  func prepare(_ db: Database) throws {
    try db.execute(sql: "CREATE TABLE IF NOT EXISTS test_foreign (dump_sha256 TEXT NOT NULL)")
  }

  /// Its own table, but a column name that is not an identifier (it would reach SQL text).
  var oddColumn = false

  func process(_ input: DumpStageInput) throws -> StageResult {
    if oddColumn {
      var rows = StageRows(
        table: "test_foreign", columns: ["dump_sha256) VALUES ('x'); DROP TABLE dumps; --"])
      rows.append([input.item.dumpSHA256])
      return StageResult(tables: [rows])
    }
    var rows = StageRows(table: "dumps", columns: ["sha256"])
    rows.append([input.item.dumpSHA256])
    return StageResult(tables: [rows])
  }
}

@Suite("Per-dump stages and versions")
struct StageVersionTests {
  func fixture(dumps: Range<Int>) throws -> PipelineFixture {
    let fixture = PipelineFixture()
    try fixture.archive(
      "n1/a.zip", format: .zip,
      dumps.map { .file("d\($0).dmp", FakeDump.minidump(seed: $0, size: 100 + $0)) })
    fixture.batches = [("n1", ["n1/*"])]
    return fixture
  }

  func outputs(_ fixture: PipelineFixture, _ table: String) throws -> [String] {
    try fixture.database().read { db in
      try String.fetchAll(db, sql: "SELECT value FROM \(table) ORDER BY value")
    }
  }

  @Test(
    "bumping a stage version redoes exactly its rows and everything downstream, and nothing else")
  func versionBump() throws {
    let fixture = try fixture(dumps: 0..<10)
    let parse1 = CountingStage(name: "parse", version: 1)
    let bucket1 = CountingStage(name: "bucket", version: 1)
    _ = try fixture.run(stages: [parse1, bucket1])
    #expect(parse1.seen.count == 10)
    #expect(bucket1.seen.count == 10)

    // New dumps arrive; the downstream stage changes: parse sees only the new ones, bucket all.
    try fixture.archive(
      "n1/b.zip", format: .zip,
      (10..<15).map { .file("d\($0).dmp", FakeDump.minidump(seed: $0, size: 100 + $0)) })
    let parse1b = CountingStage(name: "parse", version: 1)
    let bucket2 = CountingStage(name: "bucket", version: 2)
    let summary = try fixture.run(stages: [parse1b, bucket2])
    #expect(parse1b.seen.count == 5)
    #expect(bucket2.seen.count == 15)
    #expect(summary.stages.map(\.stale) == [0, 10])
    #expect(try outputs(fixture, "test_bucket").allSatisfy { $0.hasPrefix("v2:") })
    #expect(try outputs(fixture, "test_bucket").count == 15)

    // The upstream stage changes: it and its downstream redo every dump.
    let parse2 = CountingStage(name: "parse", version: 2)
    let bucket2b = CountingStage(name: "bucket", version: 2)
    _ = try fixture.run(stages: [parse2, bucket2b])
    #expect(parse2.seen.count == 15)
    #expect(bucket2b.seen.count == 15)
    #expect(try outputs(fixture, "test_parse").count == 15)

    // Nothing changed: nothing is redone.
    let parse2b = CountingStage(name: "parse", version: 2)
    let bucket2c = CountingStage(name: "bucket", version: 2)
    _ = try fixture.run(stages: [parse2b, bucket2c])
    #expect(parse2b.seen.isEmpty)
    #expect(bucket2c.seen.isEmpty)
  }

  @Test(
    "a failed dump is recorded with its error, blocks downstream, and is retried only when asked")
  func failures() throws {
    let fixture = try fixture(dumps: 0..<4)
    _ = try fixture.run(stages: [])
    let shas = try fixture.database().read { db in
      try String.fetchAll(db, sql: "SELECT sha256 FROM dumps ORDER BY sha256")
    }
    let parse = CountingStage(name: "parse", version: 1, failOn: [shas[1]])
    let bucket = CountingStage(name: "bucket", version: 1)
    let summary = try fixture.run(stages: [parse, bucket])
    #expect(summary.hasFailures)
    #expect(summary.stages.first?.failed == 1)
    #expect(bucket.seen == [shas[0], shas[2], shas[3]])
    let error = try fixture.database().read { db in
      try String.fetchOne(
        db, sql: "SELECT error FROM stage_state WHERE stage = 'parse' AND status = 'failed'")
    }
    #expect(error == "synthetic failure")

    let again = CountingStage(name: "parse", version: 1)
    _ = try fixture.run(stages: [again, CountingStage(name: "bucket", version: 1)])
    #expect(again.seen.isEmpty)
    let retry = CountingStage(name: "parse", version: 1)
    let bucketRetry = CountingStage(name: "bucket", version: 1)
    _ = try fixture.run(retryFailed: true, stages: [retry, bucketRetry])
    #expect(retry.seen == [shas[1]])
    #expect(bucketRetry.seen == [shas[1]])
  }

  @Test("claims abandoned by killed runs are retried, then given up after max_attempts")
  func abandonedClaims() throws {
    let fixture = try fixture(dumps: 0..<3)
    _ = try fixture.run(stages: [])
    let db = try fixture.database()
    let shas = try db.read { db in
      try String.fetchAll(db, sql: "SELECT sha256 FROM dumps ORDER BY sha256")
    }
    // As a killed run leaves them: claimed, never recorded.
    try db.write { db in
      try StageLedger.claim(db, dumps: [shas[0]], stage: "parse", version: 1, now: "t")
      try StageLedger.claim(db, dumps: [shas[0]], stage: "parse", version: 1, now: "t")
      try StageLedger.claim(db, dumps: [shas[0]], stage: "parse", version: 1, now: "t")
      try StageLedger.claim(db, dumps: [shas[1]], stage: "parse", version: 1, now: "t")
    }
    let parse = CountingStage(name: "parse", version: 1)
    _ = try fixture.run(stages: [parse])
    #expect(parse.seen == [shas[1], shas[2]])
    let status = try db.read { db in
      try Row.fetchOne(
        db, sql: "SELECT status, error FROM stage_state WHERE dump_sha256 = ? AND stage = 'parse'",
        arguments: [shas[0]])
    }
    #expect(status?[0] == "failed")
    #expect((status?[1] as String?)?.contains("abandoned by 3 interrupted runs") == true)

    // Given up at the start of a run with --retry-failed: retried in that same run (the run's
    // own failures are not retried again, but this one is older than its passes).
    try db.write { db in
      for _ in 0..<3 {
        try StageLedger.claim(db, dumps: [shas[0]], stage: "parse", version: 1, now: "t")
      }
    }
    let retry = CountingStage(name: "parse", version: 1)
    _ = try fixture.run(retryFailed: true, stages: [retry])
    #expect(retry.seen.contains(shas[0]), "\(retry.seen)")

    // A dump that once succeeded starts counting again: two interrupted claims after a version
    // bump are not three.
    try db.write { db in
      try StageLedger.claim(db, dumps: [shas[2]], stage: "parse", version: 2, now: "t")
      try StageLedger.claim(db, dumps: [shas[2]], stage: "parse", version: 2, now: "t")
    }
    let parse2 = CountingStage(name: "parse", version: 2)
    _ = try fixture.run(stages: [parse2])
    #expect(parse2.seen.contains(shas[2]))
  }

  @Test("a stage whose rows fail to insert leaves no partial rows and records the failure")
  func failingWrite() throws {
    let fixture = try fixture(dumps: 0..<2)
    let stage = HalfWritingStage()
    let summary = try fixture.run(stages: [stage])
    #expect(summary.stages.first?.failed == 2)
    let rows = try fixture.database().read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM test_half")
    }
    #expect(rows == 0)
    let errors = try fixture.database().read { db in
      try String.fetchAll(db, sql: "SELECT error FROM stage_state WHERE stage = 'half'")
    }
    #expect(errors.count == 2)
    #expect(errors.allSatisfy { $0.hasPrefix("could not store the result:") })
  }

  @Test("rows for a table the stage does not own are refused, and the dump is failed")
  func foreignTable() throws {
    let fixture = try fixture(dumps: 0..<2)
    let summary = try fixture.run(stages: [ForeignTableStage()])
    #expect(summary.stages.first?.failed == 2)
    let errors = try fixture.database().read { db in
      try String.fetchAll(db, sql: "SELECT error FROM stage_state WHERE stage = 'foreign'")
    }
    #expect(errors.count == 2)
    #expect(errors.allSatisfy { $0.contains("names table dumps") })
  }

  @Test("a column name that is not a plain identifier is refused, and the dump is failed")
  func oddColumn() throws {
    let fixture = try fixture(dumps: 0..<2)
    let summary = try fixture.run(stages: [ForeignTableStage(oddColumn: true)])
    #expect(summary.stages.first?.failed == 2)
    let (errors, dumps) = try fixture.database().read { db in
      (
        try String.fetchAll(db, sql: "SELECT error FROM stage_state WHERE stage = 'foreign'"),
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dumps")
      )
    }
    #expect(errors.count == 2 && errors.allSatisfy { $0.contains("names a column") }, "\(errors)")
    #expect(dumps == 2)
  }
}
