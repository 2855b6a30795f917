import Checkpoint
import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

@testable import Pipeline

@Suite("Ingest stage")
struct IngestStageTests {
  @Test("a dump in two archives of two nights is stored once with two occurrences")
  func dedupe() throws {
    let fixture = PipelineFixture()
    let shared = FakeDump.minidump(seed: 1)
    try fixture.archive(
      "n1/a.zip", format: .zip,
      [.file("x/crash.dmp", shared), .file("x/other.dmp", FakeDump.minidump(seed: 2))])
    try fixture.archive("n2/b.tar.gz", format: .tarGzip, [.file("y/again.dmp", shared)])
    fixture.batches = [("n1", ["n1/*"]), ("n2", ["n2/*"])]
    let summary = try fixture.run()
    let ingest = try #require(summary.ingest)
    #expect(ingest.archivesIngested == 2)
    #expect(ingest.dumpsFound == 3)
    #expect(ingest.dumpsNew == 2)
    let db = try fixture.database()
    let occurrences = try db.read { db in
      try Row.fetchAll(db, sql: "SELECT entry_path, batch FROM occurrences ORDER BY entry_path").map
      { "\($0[0] as String)@\($0[1] as String)" }
    }
    #expect(occurrences == ["x/crash.dmp@n1", "x/other.dmp@n1", "y/again.dmp@n2"])
    let stored = fixture.scratch.allFiles().filter { $0.hasPrefix("out/dumps/") }
    #expect(stored.count == 2)
  }

  @Test("a re-run over an unchanged corpus does no work and changes no row")
  func noOpRerun() throws {
    let fixture = PipelineFixture()
    try fixture.archive("n1/a.zip", format: .zip, [.file("a.dmp", FakeDump.minidump(seed: 3))])
    fixture.batches = [("n1", ["n1/*"])]
    _ = try fixture.run()
    let before = try fixture.snapshot()
    let again = try #require(try fixture.run().ingest)
    #expect(again.archivesUnchanged == 1)
    #expect(again.archivesIngested == 0)
    #expect(again.dumpsFound == 0)
    #expect(try fixture.snapshot() == before)
  }

  @Test("the same archive content under another path is recorded as a source, not re-read")
  func duplicateArchive() throws {
    let fixture = PipelineFixture()
    let path = try fixture.archive(
      "n1/a.zip", format: .zip, [.file("a.dmp", FakeDump.minidump(seed: 4))])
    try FileManager.default.createDirectory(
      atPath: fixture.scratch.file("n2"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: path, toPath: fixture.scratch.file("n2/copy.zip"))
    try FileManager.default.copyItem(atPath: path, toPath: fixture.scratch.file("n2/copy2.zip"))
    fixture.batches = [("n1", ["n1/*"]), ("n2", ["n2/*"])]
    let ingest = try #require(try fixture.run().ingest)
    #expect(ingest.archivesIngested == 1)
    #expect(ingest.archivesDuplicate == 2)
    let db = try fixture.database()
    let sources = try db.read { db in
      try Int.fetchOne(
        db, sql: "SELECT COUNT(DISTINCT sha256) || '/' || COUNT(*) FROM archive_sources")
    }
    #expect(sources == 1)
    let rows = try db.read { db in try String.fetchAll(db, sql: "SELECT batch FROM archives") }
    #expect(rows == ["n1"])
  }

  @Test("a touched archive is hashed again but not re-read")
  func touched() throws {
    let fixture = PipelineFixture()
    let path = try fixture.archive(
      "n1/a.zip", format: .zip, [.file("a.dmp", FakeDump.minidump(seed: 5))])
    fixture.batches = [("n1", ["n1/*"])]
    _ = try fixture.run()
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: path)
    let ingest = try #require(try fixture.run().ingest)
    #expect(ingest.archivesUnchanged == 1)
    #expect(ingest.archivesIngested == 0)
  }

  @Test(
    "a truncated archive is failed with the message, its readable dumps kept, and not retried unless asked"
  )
  func failedArchive() throws {
    let fixture = PipelineFixture()
    let full = try ArchiveFixture.bytes(
      (0..<4).map { .file("d\($0).dmp", FakeDump.minidump(seed: 10 + $0, size: 60_000)) },
      format: .tarGzip,
      scratch: fixture.scratch)
    _ = FileManager.default.createFile(
      atPath: fixture.scratch.file("n1/cut.tar.gz"), contents: Data(full.prefix(full.count / 2)))
    try fixture.archive("n1/good.zip", format: .zip, [.file("g.dmp", FakeDump.minidump(seed: 20))])
    fixture.batches = [("n1", ["n1/*"])]
    let summary = try fixture.run()
    #expect(summary.hasFailures)
    let ingest = try #require(summary.ingest)
    #expect(ingest.archivesFailed == 1)
    #expect(ingest.failures.first?.path.hasSuffix("cut.tar.gz") == true)
    let db = try fixture.database()
    let (status, error, dumps) = try db.read { db in
      let row = try #require(
        try Row.fetchOne(
          db, sql: "SELECT status, error, dumps FROM archives WHERE path LIKE '%cut.tar.gz'"))
      return (row[0] as String, row[1] as String?, row[2] as Int)
    }
    #expect(status == "failed")
    #expect(error?.isEmpty == false)
    #expect(dumps >= 1)
    let again = try #require(try fixture.run().ingest)
    #expect(again.archivesIngested == 0)
    #expect(again.archivesUnchanged == 2)
    let retried = try #require(try fixture.run(retryFailed: true).ingest)
    #expect(retried.archivesIngested == 1)
  }

  @Test("results do not depend on the number of workers")
  func jobsInvariant() throws {
    // Written once and copied: gzip headers carry a timestamp, so rewriting would change hashes.
    let source = TemporaryDirectory()
    var written: [String] = []
    for index in 0..<6 {
      let format: ArchiveFixture.Format = [.zip, .tarGzip, .sevenZip, .tarXz, .tarZstd, .tarBzip2][
        index]
      let relative = "n\(index % 2)/a\(index).\(format.rawValue)"
      try ArchiveFixture.write(
        (0..<20).map { .file("m\($0 % 7)/d.dmp", FakeDump.minidump(seed: ($0 * 3 + index) % 25)) },
        format: format, to: source.file(relative))
      written.append(relative)
    }
    func copy(into fixture: PipelineFixture) throws {
      for relative in written {
        try FileManager.default.copyItem(
          atPath: "\(source.path)/\(relative)", toPath: fixture.scratch.file(relative))
      }
      fixture.batches = [("n0", ["n0/*"]), ("n1", ["n1/*"])]
    }
    let one = PipelineFixture()
    try copy(into: one)
    _ = try one.run(jobs: 1)
    let four = PipelineFixture()
    try copy(into: four)
    _ = try four.run(jobs: 4)
    let normalize = { (lines: [String], root: String) in
      lines.map { $0.replacingOccurrences(of: root, with: "ROOT") }
    }
    let left = normalize(try one.snapshot(), one.scratch.path)
    let right = normalize(try four.snapshot(), four.scratch.path)
    #expect(left.count > 100)
    #expect(left == right, "\(LineDiff.describe(actual: right, expected: left))")
  }
}
