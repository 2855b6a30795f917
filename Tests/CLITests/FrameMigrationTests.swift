import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// Schema v13 stores a walk's frames as one row (`crash_stacks`, `thread_stacks`) and keeps
/// `symbolized_frames` and `thread_frames` as views. A workspace of schema v12 (one row per frame)
/// migrates in place: no stage re-runs, and every table and view reads as a fresh run's.
@Suite("frames packed one row per walk: migration from v12")
struct FrameMigrationTests {
  /// The packed tables' rows, byte for byte.
  static func packed(_ database: String) throws -> [String] {
    try DatabaseQueue(path: database).read { db in
      try String.fetchAll(
        db,
        sql: """
          SELECT dump_sha256 || '|' || frames FROM crash_stacks
          UNION ALL SELECT dump_sha256 || '|' || thread_id || '|' || frames FROM thread_stacks
          ORDER BY 1
          """)
    }
  }

  /// Takes a v13 workspace back to what schema v12 wrote: the per-frame tables as migrations
  /// v4–v6 made them, holding the views' rows, and no packed tables.
  static func downgrade(_ database: String) throws {
    let queue = try DatabaseQueue(path: database)
    try queue.write { db in
      try db.execute(
        sql: """
          CREATE TABLE old_symbolized_frames (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            frame INTEGER NOT NULL,
            address INTEGER NOT NULL,
            module TEXT,
            module_offset INTEGER,
            function TEXT,
            function_offset INTEGER,
            file TEXT,
            line INTEGER,
            inlines TEXT,
            missing TEXT,
            stack_pointer INTEGER,
            trust TEXT,
            line_offset INTEGER,
            PRIMARY KEY (dump_sha256, frame)
          ) WITHOUT ROWID;
          INSERT INTO old_symbolized_frames SELECT * FROM symbolized_frames;
          CREATE TABLE old_thread_frames (
            dump_sha256 TEXT NOT NULL REFERENCES dumps(sha256),
            thread_id INTEGER NOT NULL,
            frame INTEGER NOT NULL,
            address INTEGER NOT NULL,
            stack_pointer INTEGER NOT NULL,
            trust TEXT NOT NULL,
            module TEXT,
            module_offset INTEGER,
            function TEXT,
            function_offset INTEGER,
            file TEXT,
            line INTEGER,
            PRIMARY KEY (dump_sha256, thread_id, frame)
          ) WITHOUT ROWID;
          INSERT INTO old_thread_frames SELECT * FROM thread_frames;
          DROP VIEW symbolized_frames;
          DROP VIEW thread_frames;
          DROP TABLE crash_stacks;
          DROP TABLE thread_stacks;
          ALTER TABLE old_symbolized_frames RENAME TO symbolized_frames;
          ALTER TABLE old_thread_frames RENAME TO thread_frames;
          DELETE FROM grdb_migrations WHERE identifier = 'v13-packed-frames';
          """)
    }
    try queue.close()
  }

  @Test("a v12 workspace migrates without re-running a stage and reads as a fresh v13 run")
  func fromV12() throws {
    let dir = TemporaryDirectory()
    // Every thread walked, so `thread_frames` has rows to migrate too.
    let manifest = try SampleManifest.make(in: dir) { $0["symbolize"] = ["all_threads": true] }
    let workspace = dir.file("out")
    let arguments = ["run", "--manifest", manifest, "--workspace", workspace, "--json"]
    let first = try CrashsiftBinary.run(arguments)
    // The sample corpus holds one deliberately truncated upload.
    #expect(first.status == 1, "\(first.stderr)")
    let database = "\(workspace)/crashsift.sqlite"
    let fresh = try DatabaseSnapshot.lines(databasePath: database)
    let packed = try Self.packed(database)
    let report = try String(contentsOfFile: "\(workspace)/report/report.json", encoding: .utf8)
    #expect(packed.count > 300)
    #expect(fresh.filter { $0.hasPrefix("thread_frames|") }.count > 100)
    #expect(fresh.filter { $0.hasPrefix("symbolized_frames|") }.count > 1000)

    try Self.downgrade(database)
    let old = try DatabaseQueue(path: database).read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM symbolized_frames WHERE inlines IS NOT NULL")
    }
    #expect(try DatabaseSnapshot.lines(databasePath: database) == fresh)

    let second = try CrashsiftBinary.run(arguments)
    #expect(second.status == 0, "\(second.stderr)")
    let summary = try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any]
    let stages = summary?["stages"] as? [[String: Any]] ?? []
    #expect(stages.count == 3)
    for stage in stages {
      #expect(stage["processed"] as? Int == 0, "\(stage)")
      #expect(stage["stale"] as? Int == 0, "\(stage)")
    }
    #expect(try DatabaseSnapshot.lines(databasePath: database) == fresh)
    // Packed by the migration exactly as the symbolize stage packs them.
    #expect(try Self.packed(database) == packed)
    let inlines = try DatabaseQueue(path: database).read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM symbolized_frames WHERE inlines IS NOT NULL")
    }
    #expect(inlines == old)
    let rewritten = try String(contentsOfFile: "\(workspace)/report/report.json", encoding: .utf8)
    #expect(Golden.normalize(rewritten, workspace: workspace).count > 1000)
    #expect(
      Self.withoutTimes(rewritten) == Self.withoutTimes(report),
      "the report over the migrated workspace differs from the fresh one")
  }

  /// A report's text without the lines that carry when it was written.
  static func withoutTimes(_ text: String) -> [String] {
    text.split(separator: "\n").map(String.init).filter {
      !$0.contains("generated") && !$0.contains("seconds")
    }
  }
}
