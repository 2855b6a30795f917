import CrashsiftTestSupport
import DumpSynth
import Foundation
import GRDB
import Testing

@testable import Pipeline

/// When a run returns, its database is closed, not merely unreferenced: the worker threads'
/// closures may hold the last reference a moment longer, and the final close (which takes the
/// file's exclusive lock to checkpoint the WAL) then collided with whoever opened the workspace
/// next, e.g. a second run or `crashsift status` ("database is locked", seen once in CI in the
/// migration test).
@Suite("run closes its database")
struct RunCloseTests {
  @Test("after each run no descriptor of the database is open, and it opens without waiting")
  func closedOnReturn() throws {
    let fixture = PipelineFixture()
    try fixture.archive(
      "n1/m.zip", format: .zip,
      (0..<6).map { .file("PC-\($0)/app.dmp", FakeDump.minidump(seed: 40 + $0)) }
        + [.file("MEMORY.DMP", ProcessScenario.bytes(.bitmap(type: 5, signature: "SDMP")))])
    fixture.batches = [("n1", ["n1/*"])]
    let path = Workspace(directory: fixture.workspace).databasePath
    for round in 0..<4 {
      // Alternate a run with work (threads, stage rows) and a no-op re-run.
      let summary = try fixture.run(jobs: 3, stages: [ParseStage()])
      #expect(summary.stages.first?.done == (round.isMultiple(of: 2) ? 7 : 0), "round \(round)")
      #expect(Self.openDescriptors(under: fixture.workspace) == [], "round \(round)")
      var config = Configuration()
      config.busyMode = .immediateError
      let queue = try DatabaseQueue(path: path, configuration: config)
      let tables = try queue.read { db in
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") ?? 0
      }
      #expect(tables > 0)
      try queue.close()
      if !round.isMultiple(of: 2) {
        // Make the next run redo the parse stage (a stale version).
        try DatabaseQueue(path: path).write { db in
          try db.execute(sql: "UPDATE stage_state SET stage_version = 0 WHERE stage = 'parse'")
        }
      }
    }
  }

  /// This process's open files under `directory` (the database, its WAL and shared memory).
  static func openDescriptors(under directory: String) -> [String] {
    let manager = FileManager.default
    let descriptors = (try? manager.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    return descriptors.compactMap { fd in
      guard let target = try? manager.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)"),
        target.hasPrefix(directory + "/")
      else { return nil }
      return target
    }.sorted()
  }
}
