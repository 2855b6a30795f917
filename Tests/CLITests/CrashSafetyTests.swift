import CrashsiftTestSupport
import Foundation
import GRDB
import Pipeline
import Testing

/// Kills the real binary with SIGKILL during ingest, re-runs it, and compares the database and the
/// store with an uninterrupted run.
@Suite("Crash safety and concurrency", .serialized)
struct CrashSafetyTests {
  /// ~2,000 small dumps over 8 archives of mixed formats, some dumps shared between archives.
  static func corpus(_ dir: TemporaryDirectory) throws -> String {
    let formats: [ArchiveFixture.Format] = [
      .zip, .tarGzip, .sevenZip, .tarXz, .tarZstd, .tarBzip2, .tar, .zip,
    ]
    for (index, format) in formats.enumerated() {
      let entries: [ArchiveFixture.Entry] = (0..<250).map { item in
        let seed = index * 240 + item  // neighbours overlap by 10 dumps
        return .file(
          "M-\(seed % 97)/crash-\(item).dmp", FakeDump.minidump(seed: seed, size: 2048 + seed % 300)
        )
      }
      try ArchiveFixture.write(
        entries, format: format,
        to: dir.file("night\(index % 3)/upload-\(index).\(format.rawValue)"))
    }
    let manifest = dir.file("manifest.json")
    let json = #"""
      {"version": 1, "batches": [
        {"id": "n0", "date": "2026-11-20", "archives": ["night0/*"]},
        {"id": "n1", "date": "2026-11-21", "archives": ["night1/*"]},
        {"id": "n2", "date": "2026-11-22", "archives": ["night2/*"]}]}
      """#
    _ = FileManager.default.createFile(atPath: manifest, contents: Data(json.utf8))
    return manifest
  }

  static func state(_ workspace: String) throws -> [String] {
    let rows = try DatabaseSnapshot.lines(databasePath: "\(workspace)/crashsift.sqlite")
    let files = TemporaryDirectory.files(under: "\(workspace)/dumps").map { "file|\($0)" }
    return rows + files
  }

  @Test(
    "SIGKILL at several points during ingest, then re-run: the same rows and files as one clean run"
  )
  func killAndResume() throws {
    let dir = TemporaryDirectory()
    let manifest = try Self.corpus(dir)
    let reference = dir.file("reference")
    let clean = try CrashsiftBinary.run([
      "ingest", "--manifest", manifest, "--workspace", reference, "--quiet",
    ])
    #expect(clean.status == 0, "\(clean.stderr)")
    let expected = try Self.state(reference)
    #expect(expected.filter { $0.hasPrefix("occurrences|") }.count == 2000)
    #expect(expected.filter { $0.hasPrefix("dumps|") }.count == 1930)

    let victim = dir.file("victim")
    // Exact points: after a dump is stored but before its row is committed; right after commits.
    let faults = [
      "ingest-dump:150", "ingest-commit:2", "ingest-dump:420", "ingest-commit:1", "ingest-dump:777",
    ]
    var killed = 0
    for fault in faults {
      let result = try CrashsiftBinary.run(
        ["ingest", "--manifest", manifest, "--workspace", victim, "--quiet"],
        environment: ["CRASHSIFT_FAULT": fault])
      if result.signaled {
        #expect(result.status == SIGKILL)
        killed += 1
      } else {
        #expect(result.status == 0, "\(fault): \(result.stderr)")
      }
    }
    #expect(killed >= 3, "the fault points should have stopped at least three runs")
    // Unplanned points: kill after a few milliseconds of work.
    for delay in [20_000, 60_000, 120_000] as [useconds_t] {
      let (process, _, _) = try CrashsiftBinary.start([
        "ingest", "--manifest", manifest, "--workspace", victim, "--quiet",
      ])
      usleep(delay)
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
    let final = try CrashsiftBinary.run([
      "ingest", "--manifest", manifest, "--workspace", victim, "--quiet",
    ])
    #expect(final.status == 0, "\(final.stderr)")
    let actual = try Self.state(victim).map { $0.replacingOccurrences(of: victim, with: reference) }
    #expect(actual == expected, "\(LineDiff.describe(actual: actual, expected: expected))")
    // Nothing half-written is left behind.
    #expect(TemporaryDirectory.files(under: "\(victim)/tmp").isEmpty)
    // The killed runs are recorded as such.
    let statuses = try DatabaseQueue(path: "\(victim)/crashsift.sqlite").read { db in
      try String.fetchAll(db, sql: "SELECT status FROM runs ORDER BY id")
    }
    #expect(statuses.last == "done")
    #expect(statuses.filter { $0 == "killed" }.count >= killed)
  }

  @Test("a second run on a held workspace exits 2 and names the holder")
  func heldWorkspace() throws {
    let dir = TemporaryDirectory()
    let manifest = try Self.corpus(dir)
    let lock = try WorkspaceLock(directory: dir.file("ws"), command: "run")
    let result = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", "\(dir.path)/ws",
    ])
    #expect(result.status == 2)
    #expect(result.stderr.contains("is in use by pid \(getpid())"))
    #expect(result.stderr.contains("`crashsift run`"))
    withExtendedLifetime(lock) {}
  }

  @Test("two runs started together: one works, the other exits 2; the result equals a clean run")
  func concurrentRuns() throws {
    let dir = TemporaryDirectory()
    let manifest = try Self.corpus(dir)
    let reference = dir.file("reference")
    #expect(
      try CrashsiftBinary.run(["run", "--manifest", manifest, "--workspace", reference, "--quiet"])
        .status == 0)
    let shared = dir.file("shared")
    let a = try CrashsiftBinary.start([
      "run", "--manifest", manifest, "--workspace", shared, "--quiet",
    ])
    let b = try CrashsiftBinary.start([
      "run", "--manifest", manifest, "--workspace", shared, "--quiet",
    ])
    a.0.waitUntilExit()
    b.0.waitUntilExit()
    let statuses = [a.0.terminationStatus, b.0.terminationStatus].sorted()
    // Either they serialised (the second found nothing left to do) or one was refused.
    #expect(statuses == [0, 0] || statuses == [0, 2], "\(statuses)")
    let actual = try Self.state(shared).map { $0.replacingOccurrences(of: shared, with: reference) }
    let expected = try Self.state(reference)
    #expect(actual == expected, "\(LineDiff.describe(actual: actual, expected: expected))")
  }
}

extension CrashSafetyTests {
  @Test(
    "SIGKILL during the parse stage, then re-run: the same stage rows and output as one clean run")
  func killDuringParse() throws {
    let dir = TemporaryDirectory()
    let manifest = try Self.corpus(dir)
    let reference = dir.file("reference")
    #expect(
      try CrashsiftBinary.run(["run", "--manifest", manifest, "--workspace", reference, "--quiet"])
        .status == 0)
    let expected = try Self.state(reference) + Self.parseOutput(reference)
    // One parse, one symbolize and one bucket row per dump.
    #expect(expected.filter { $0.hasPrefix("stage_state|") }.count == 3 * 1930)

    let victim = dir.file("victim")
    #expect(
      try CrashsiftBinary.run(["ingest", "--manifest", manifest, "--workspace", victim, "--quiet"])
        .status == 0)
    // After a chunk is claimed (rows `running`), and right after result commits.
    var killed = 0
    for fault in ["parse-claim:2", "parse-commit:5", "parse-claim:4", "parse-commit:3"] {
      let result = try CrashsiftBinary.run(
        ["run", "--manifest", manifest, "--workspace", victim, "--quiet"],
        environment: ["CRASHSIFT_FAULT": fault])
      if result.signaled { killed += 1 }
    }
    #expect(killed >= 3)
    let running = try DatabaseQueue(path: "\(victim)/crashsift.sqlite").read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM stage_state WHERE status = 'running'")
    }
    #expect((running ?? 0) > 0, "a kill after a claim leaves running rows for the next run")
    let final = try CrashsiftBinary.run([
      "run", "--manifest", manifest, "--workspace", victim, "--quiet",
    ])
    #expect(final.status == 0, "\(final.stderr)")
    let actual = try (Self.state(victim) + Self.parseOutput(victim)).map {
      $0.replacingOccurrences(of: victim, with: reference)
    }
    #expect(actual == expected, "\(LineDiff.describe(actual: actual, expected: expected))")
  }

  /// The parse stage's output rows, in a stable order.
  static func parseOutput(_ workspace: String) throws -> [String] {
    try DatabaseQueue(path: "\(workspace)/crashsift.sqlite").read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT dump_sha256, format, crash_reason, crash_address, thread_count, module_count, problems
          FROM parsed_dumps ORDER BY dump_sha256
          """
      ).map { "parsed|" + $0.databaseValues.map { "\($0)" }.joined(separator: "|") }
    }
  }
}
