import Checkpoint
import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

@testable import Pipeline

@Suite("Parse stage")
struct ParseStageTests {
  @Test("minidumps are parsed into rows, kernel dumps deferred, unknown files failed with a reason")
  func parse() throws {
    let fixture = PipelineFixture()
    var entries: [ArchiveFixture.Entry] = [
      .file("k/MEMORY.DMP", FakeDump.kernel64(seed: 1)),
      .file("u/broken.dmp", Array(repeating: 0x20, count: 64)),
      .file("f/fake.dmp", FakeDump.minidump(seed: 2)),
    ]
    if let root = Corpus.root,
      let data = FileManager.default.contents(
        atPath: "\(root)/minidump/breakpad/src/processor/testdata/minidump2.dmp")
    {
      entries.append(.file("m/minidump2.dmp", [UInt8](data)))
    } else {
      #expect(!Tools.isCI, "the fixture corpus is required on CI")
    }
    try fixture.archive("n1/a.zip", format: .zip, entries)
    fixture.batches = [("n1", ["n1/*"])]
    let summary = try fixture.run(stages: [ParseStage()])
    let parse = try #require(summary.stages.first)
    #expect(parse.deferred == 1)
    #expect(parse.failed == 1)
    #expect(parse.done == entries.count - 2)
    let db = try fixture.database()
    let failure = try db.read { db in
      try String.fetchOne(db, sql: "SELECT error FROM stage_state WHERE status = 'failed'")
    }
    #expect(failure?.contains("not a minidump or kernel dump (first bytes: 20 20 20") == true)
    let deferred = try db.read { db in
      try String.fetchOne(db, sql: "SELECT error FROM stage_state WHERE status = 'deferred'")
    }
    #expect(deferred?.contains("kernel dumps are not parsed yet") == true)
    guard entries.count == 4 else { return }
    let row = try #require(
      try db.read { db in
        try Row.fetchOne(
          db,
          sql: """
            SELECT p.crash_reason, p.crash_address, p.crashing_thread, p.module_count, p.cpu
            FROM parsed_dumps p JOIN occurrences o ON o.dump_sha256 = p.dump_sha256
            WHERE o.entry_path = 'm/minidump2.dmp'
            """)
      })
    #expect(row[0] == "EXCEPTION_ACCESS_VIOLATION_WRITE")
    #expect(row[1] == 0x45)
    #expect(row[2] == 0xBF4)
    #expect(row[3] == 13)
    #expect(row[4] == "x86")
    let debugIDs = try db.read { db in
      try String.fetchAll(
        db, sql: "SELECT debug_id FROM dump_modules WHERE name LIKE '%test_app.exe'")
    }
    #expect(debugIDs == ["5A9832E5287241C1838ED98914E9B7FF1"])

    // Nothing changed: a re-run parses nothing; --retry-deferred tries the kernel dump again.
    let again = try fixture.run(stages: [ParseStage()])
    #expect(again.stages.first?.processed == 0)
    var options = PipelineRunner.Options()
    options.retryDeferred = true
    var runner = PipelineRunner(
      manifest: try fixture.manifest(), settings: fixture.settings, options: options,
      logger: .init(label: "test"))
    runner.dumpStages = [ParseStage()]
    let retried = try runner.run(command: "parse", ingest: false)
    #expect(retried.stages.first?.processed == 1)
    #expect(retried.stages.first?.deferred == 1)
  }
}
