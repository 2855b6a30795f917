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

  /// Every row of `sql` as SQLite values.
  static func rows(_ path: String, _ sql: String) throws -> [[DatabaseValue]] {
    try DatabaseQueue(path: path).read { db in
      try Row.fetchAll(db, sql: sql).map { Array($0.databaseValues) }
    }
  }

  /// A database at `path` migrated to schema v12 only, with the rows `sql` inserts.
  static func v12Database(_ path: String, _ sql: String = "") throws -> DatabaseQueue {
    let queue = try DatabaseQueue(path: path)
    try CheckpointSchema.migrator().migrate(queue, upTo: "v12-process-handle-counts")
    if !sql.isEmpty { try queue.write { db in try db.execute(sql: sql) } }
    return queue
  }

  static let frameQueries = [
    "SELECT * FROM symbolized_frames ORDER BY 1, 2",
    "SELECT * FROM thread_frames ORDER BY 1, 2, 3",
    "SELECT * FROM stage_state ORDER BY 1, 2",
  ]

  @Test(
    "a workspace crashsift 147abd9 wrote (schema v12) migrates to v13: every frame reads the same through the views, no stage state changes"
  )
  func fromPreviousRelease() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("crashsift.sqlite")
    let fixture = "\(Corpus.packageRoot)/Tests/Fixtures/workspace-v12/crashsift.sqlite.gz"
    #expect(FileManager.default.createFile(atPath: path, contents: nil))
    let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    let gzip = Process()
    gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    gzip.arguments = ["gzip", "-dc", fixture]
    gzip.standardOutput = output
    try gzip.run()
    gzip.waitUntilExit()
    try output.close()
    #expect(gzip.terminationStatus == 0)

    let before = try Self.frameQueries.map { try Self.rows(path, $0) }
    let snapshot = try DatabaseSnapshot.lines(databasePath: path)
    #expect(before[0].count == 3342)
    #expect(before[1].count == 391)
    let database = try CheckpointDatabase(path: path)
    let applied = try database.read { db in
      try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
    }
    #expect(applied.last == "v13-packed-frames")
    let walks = try database.read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM crash_stacks")
    }
    #expect(walks == 311)
    #expect(try Self.frameQueries.map { try Self.rows(path, $0) } == before)
    #expect(try DatabaseSnapshot.lines(databasePath: path) == snapshot)
  }

  @Test("v12 frame rows with inlines, NULLs and extreme values migrate to the same view rows")
  func packsEveryField() throws {
    let dir = TemporaryDirectory()
    let path = dir.file("crashsift.sqlite")
    let queue = try Self.v12Database(path)
    // The inlines column as the v12 symbolize stage wrote it: JSONEncoder, slashes escaped.
    let inlines = String(
      decoding: try JSONEncoder().encode(["a/b [c:\\x\"y.h : 3]", "f [g.h : 1]"]), as: UTF8.self)
    #expect(inlines.contains("\\/"))
    try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO dumps (sha256, size, kind) VALUES ('a', 1, 'MDMP'), ('b', 1, 'PAGEDU64');
          INSERT INTO symbolized_frames VALUES
            ('a', 0, -1, 'm.dll', 16, 'f', 2, 'x.c', 7, ?, NULL, 9223372036854775807, 'context', 3),
            ('a', 1, -9223372036854775808, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'no symbols',
              5, 'scan', NULL),
            ('b', 0, 4096, 'nt', 0, NULL, NULL, NULL, NULL, 'not JSON', NULL, NULL, NULL, NULL);
          INSERT INTO thread_frames VALUES
            ('a', 7, 0, 1, 2, 'context', 'm.dll', 3, 'g', 4, 'y.c', 5),
            ('a', 7, 1, 6, 7, 'cfi', NULL, NULL, NULL, NULL, NULL, NULL),
            ('a', 8, 0, 9, 10, 'context', NULL, NULL, NULL, NULL, NULL, NULL);
          """, arguments: [inlines])
    }
    let before = try Self.frameQueries.prefix(2).map { try Self.rows(path, $0) }
    try CheckpointSchema.migrator().migrate(queue)
    var after = try Self.frameQueries.prefix(2).map { try Self.rows(path, $0) }
    // Inlines come back as the same list; text that was not a JSON list is dropped.
    let list = after[0][0][9].storage
    if case .string(let text) = list {
      #expect(
        try JSONDecoder().decode([String].self, from: Data(text.utf8))
          == ["a/b [c:\\x\"y.h : 3]", "f [g.h : 1]"])
    } else {
      Issue.record("inlines lost: \(list)")
    }
    after[0][0][9] = before[0][0][9]
    #expect(after[0][2][9] == .null)
    after[0][2][9] = before[0][2][9]
    #expect(after == before)
    let packed = try queue.read { db in
      try String.fetchAll(db, sql: "SELECT frames FROM thread_stacks ORDER BY thread_id")
    }
    #expect(
      packed == [
        PackedFrame.pack([
          PackedFrame(
            address: 1, stackPointer: 2, trust: "context", module: "m.dll", moduleOffset: 3,
            function: "g", functionOffset: 4, file: "y.c", line: 5),
          PackedFrame(address: 6, stackPointer: 7, trust: "cfi"),
        ]),
        PackedFrame.pack([PackedFrame(address: 9, stackPointer: 10, trust: "context")]),
      ])
  }

  @Test(
    "v12 frame rows holding values of the wrong type: NULL where optional, an error (no trap) for an address"
  )
  func wrongTypes() throws {
    let dir = TemporaryDirectory()
    let queue = try Self.v12Database(
      dir.file("crashsift.sqlite"),
      """
      INSERT INTO dumps (sha256, size, kind) VALUES ('a', 1, 'MDMP');
      INSERT INTO symbolized_frames (dump_sha256, frame, address, module_offset, line)
        VALUES ('a', 0, 16, 'not a number', x'00ff');
      """)
    try CheckpointSchema.migrator().migrate(queue)
    let row = try queue.read { db in
      try Row.fetchOne(db, sql: "SELECT address, module_offset, line FROM symbolized_frames")
    }
    #expect(row.map { Array($0.databaseValues) } == [16.databaseValue, .null, .null])

    let other = try Self.v12Database(
      dir.file("other.sqlite"),
      """
      INSERT INTO dumps (sha256, size, kind) VALUES ('a', 1, 'MDMP');
      INSERT INTO symbolized_frames (dump_sha256, frame, address) VALUES ('a', 0, 'x');
      """)
    #expect(throws: (any Error).self) { try CheckpointSchema.migrator().migrate(other) }
    // The failed migration left the v12 workspace as it was.
    let applied = try other.read { db in
      try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
    }
    #expect(applied.last == "v12-process-handle-counts")
  }
}
