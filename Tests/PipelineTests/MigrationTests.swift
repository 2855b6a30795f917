import Checkpoint
import CrashsiftTestSupport
import DumpSynth
import Foundation
import GRDB
import Testing

@testable import Pipeline

/// A workspace written by the previous release opens with this one: the schema migrates forward
/// in place, and a stage whose version changed says so (`stale`) and redoes its dumps, ending in
/// the rows a fresh run writes. The previous release's workspace is made from a run of this one,
/// taken back to schema v11 and parse stage 4 (what d0f10dd and earlier wrote: no handle
/// counts) with the SQL that undoes migration v12.
@Suite("workspace migration")
struct MigrationTests {
  @Test("a v11 workspace (parse 4) migrates to v12; parse reruns, says so, and matches a fresh run")
  func fromV11() throws {
    let fixture = PipelineFixture()
    try fixture.archive(
      "n1/m.zip", format: .zip,
      [
        .file("MEMORY.DMP", ProcessScenario.bytes(.bitmap(type: 5, signature: "SDMP"))),
        .file("PC-1/app.dmp", FakeDump.minidump(seed: 3)),
      ])
    fixture.batches = [("n1", ["n1/*"])]
    let first = try fixture.run(stages: [ParseStage()])
    #expect(first.stages.first?.done == 2)
    let fresh = try fixture.snapshot()

    // Back to the previous release's workspace.
    let path = Workspace(directory: fixture.workspace).databasePath
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      try db.execute(
        sql: """
          ALTER TABLE kernel_processes DROP COLUMN handle_count;
          ALTER TABLE kernel_processes DROP COLUMN handle_count_problem;
          DELETE FROM grdb_migrations WHERE identifier = 'v12-process-handle-counts';
          UPDATE stage_state SET stage_version = 4 WHERE stage = 'parse';
          """)
    }
    try queue.close()

    let second = try fixture.run(stages: [ParseStage()])
    let parse = try #require(second.stages.first)
    #expect(parse.stale == 2)
    #expect(parse.done == 2)
    #expect(try fixture.snapshot() == fresh)
    let counts = try fixture.database().read { db in
      try Int64?.fetchAll(db, sql: "SELECT handle_count FROM kernel_processes ORDER BY idx")
    }
    #expect(counts == SyntheticProcess.examples().map { Int64($0.handleCount) })
    // A third run finds nothing stale and does nothing.
    let third = try fixture.run(stages: [ParseStage()])
    #expect(third.stages.first?.stale == 0 && third.stages.first?.processed == 0)
  }
}
