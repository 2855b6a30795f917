import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// The whole pipeline, killed with SIGKILL at 20 points spread over every stage and the report
/// (and twice more in the report swap once a report exists), then finished by one more run, must leave exactly what one uninterrupted run leaves: the same
/// database rows, the same store and the same report files.
@Suite("SIGKILL anywhere", .serialized)
struct KillAnywhereTests {
  /// Dumps in the forged corpus; `CRASHSIFT_KILL_DUMPS` changes it (5,000 by default, the size
  /// the hardening issue asks for; about a minute of work in a debug build on 2 cores).
  static var dumps: Int {
    Int(ProcessInfo.processInfo.environment["CRASHSIFT_KILL_DUMPS"] ?? "") ?? 5000
  }

  /// Every file of the report, with its content; workspace paths normalized.
  static func reportFiles(_ workspace: String) throws -> [String] {
    let folder = "\(workspace)/report"
    return try TemporaryDirectory.files(under: folder).map { name in
      let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
      return "report|\(name)|" + text.replacingOccurrences(of: workspace, with: "<WS>")
    }
  }

  /// The report as it stands, nil when there is none.
  static func currentReport(_ workspace: String) throws -> [String]? {
    FileManager.default.fileExists(atPath: "\(workspace)/report")
      ? try reportFiles(workspace) : nil
  }

  static func state(_ workspace: String) throws -> [String] {
    let rows = try DatabaseSnapshot.lines(databasePath: "\(workspace)/crashsift.sqlite")
    let files = TemporaryDirectory.files(under: "\(workspace)/dumps").map { "file|\($0)" }
    return rows.map { $0.replacingOccurrences(of: workspace, with: "<WS>") } + files
      + (try reportFiles(workspace))
  }

  @Test("forged corpus, SIGKILL at 22 points across ingest, parse, symbolize, bucket and report")
  func killAnywhere() throws {
    let dir = TemporaryDirectory()
    let count = Self.dumps
    let forge = try CrashsiftBinary.run([
      "forge", "--scale", String(count), "-o", dir.file("corpus"), "--images",
      "\(Corpus.packageRoot)/samples/images",
    ])
    #expect(forge.status == 0, "\(forge.stderr)")
    let manifest = dir.file("corpus/manifest.json")
    func run(_ workspace: String, fault: String? = nil) throws -> CrashsiftBinary.Result {
      try CrashsiftBinary.run(
        ["run", "--manifest", manifest, "--workspace", workspace, "--quiet"],
        environment: fault.map { ["CRASHSIFT_FAULT": $0] } ?? [:])
    }
    let reference = dir.file("reference")
    let clean = try run(reference)
    #expect(clean.status == 0, "\(clean.stderr)")
    let expected = try Self.state(reference)
    #expect(expected.filter { $0.hasPrefix("buckets|") }.count == count)
    #expect(expected.contains { $0.hasPrefix("report|index.html|") })

    // 16 exact points in stage order, each the k-th time a run reaches it (k seeded), so every
    // stage is cut while it still has work; and 4 kills at seeded times early in a run, where no
    // hook is. A pass claims chunks of 256 dumps and commits 64 at a time, ingest 500 rows;
    // with the hand-off a pass's claim and commits are also those of its later stages (their
    // hooks fire there too).
    var random = SplitMix64(seed: 20_261_126)
    func pick(_ range: ClosedRange<Int>) -> Int {
      range.lowerBound + Int(random.next() % UInt64(range.count))
    }
    var faults: [String] = []
    for _ in 0..<3 { faults.append("ingest-dump:\(pick(50...max(51, count / 8)))") }
    for _ in 0..<2 { faults.append("ingest-commit:\(pick(1...3))") }
    for stage in ["parse", "symbolize", "bucket"] {
      faults.append("\(stage)-claim:\(pick(1...3))")
      for _ in 0..<2 { faults.append("\(stage)-commit:\(pick(1...3))") }
    }
    faults += ["report-written:1", "report-swap:1"]
    let victim = dir.file("victim")
    var killed = 0
    var fired: [String] = []
    let expectedReport = try Self.reportFiles(reference)
    // Right after every run, killed or not, `report/` is the one before the run or the new one
    // (equal to the reference once every stage is done), whole: never missing, never a mix.
    var reportBefore: [String]? = nil
    func checkReport(_ what: String) throws {
      let now = try Self.currentReport(victim)
      #expect(
        now == reportBefore || now == expectedReport,
        "report after \(what): \(now.map { "\($0.count) files" } ?? "missing"), not the previous (\(reportBefore?.count ?? 0) files) or the new one (\(expectedReport.count) files)"
      )
      reportBefore = now
    }
    for (index, fault) in faults.enumerated() {
      if index < 4 {
        let delay = 0.05 + 0.5 * random.unit()
        let (process, _, _) = try CrashsiftBinary.start([
          "run", "--manifest", manifest, "--workspace", victim, "--quiet",
        ])
        usleep(useconds_t(delay * 1_000_000))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal { killed += 1 }
        try checkReport("a timed kill")
      }
      let planned = try run(victim, fault: fault)
      try checkReport(fault)
      if planned.signaled {
        killed += 1
        fired.append(fault)
      } else {
        #expect(planned.status == 0, "\(fault): \(planned.stderr)")
      }
    }
    print("kill test: \(killed) of 20 runs killed; exact points that fired: \(fired)")
    #expect(fired == faults, "every exact point should have cut a run with work left")
    #expect(killed >= 18, "the timed kills land early in a run: \(killed) of 20 killed")
    // The report points again, now that a report exists: the swap itself is cut, and `report/`
    // must still be whole (the old two-rename swap left no `report/` here).
    let complete = try run(victim)
    #expect(complete.status == 0, "\(complete.stderr)")
    try checkReport("a complete run")
    for fault in ["report-written:1", "report-swap:1"] {
      let cut = try run(victim, fault: fault)
      #expect(cut.signaled, "\(fault) with a report in place: \(cut.stderr)")
      try checkReport("\(fault) with a report in place")
    }
    let final = try run(victim)
    #expect(final.status == 0, "\(final.stderr)")
    let actual = try Self.state(victim)
    #expect(actual == expected, "\(LineDiff.describe(actual: actual, expected: expected))")
    // Nothing half-written is left behind.
    #expect(TemporaryDirectory.files(under: "\(victim)/tmp").isEmpty)
    #expect(!FileManager.default.fileExists(atPath: "\(victim)/report.partial"))
    #expect(!FileManager.default.fileExists(atPath: "\(victim)/report.old"))
    let statuses = try DatabaseQueue(path: "\(victim)/crashsift.sqlite").read { db in
      try String.fetchAll(db, sql: "SELECT status FROM runs ORDER BY id")
    }
    #expect(statuses.last == "done")
    // Workers die with the run that started them: none is left without its parent.
    #expect(OrphanWorkers.list().isEmpty, "orphaned workers: \(OrphanWorkers.list())")
  }
}

/// With the stages on threads (`--in-process`), a dump that kills the whole process every time it
/// is processed is given up after three interrupted runs, alone: the other dumps of its chunk are
/// redone one at a time and finish. (Isolated workers fail it in the first run:
/// `WorkerIsolationTests`.)
@Suite("poison dump")
struct PoisonDumpTests {
  @Test("in-process: a dump that crashes the process is failed after 3 runs; 599 others done")
  func poison() throws {
    let dir = TemporaryDirectory()
    #expect(
      try CrashsiftBinary.run([
        "forge", "--scale", "600", "-o", dir.path, "--images",
        "\(Corpus.packageRoot)/samples/images",
      ]).status == 0)
    let manifest = dir.file("manifest.json")
    #expect(
      try CrashsiftBinary.run(["ingest", "--manifest", manifest, "--quiet"]).status == 0)
    let queue = try DatabaseQueue(path: dir.file("out/crashsift.sqlite"))
    // The 300th dump by hash: in the middle of the second chunk of 256.
    let poison = try #require(
      try queue.read { db in
        try String.fetchOne(db, sql: "SELECT sha256 FROM dumps ORDER BY sha256 LIMIT 1 OFFSET 299")
      })
    var kills = 0
    for _ in 0..<4 {
      let result = try CrashsiftBinary.run(
        ["run", "--manifest", manifest, "--quiet", "--in-process"],
        environment: ["CRASHSIFT_POISON": poison])
      if result.signaled { kills += 1 }
    }
    #expect(kills == 3, "killed while the chunk, then the dump alone, was processed")
    let final = try CrashsiftBinary.run(["run", "--manifest", manifest, "--quiet"])
    #expect(final.status == 0, "nothing left to do: \(final.stderr)")
    let rows = try queue.read { db in
      try Row.fetchAll(
        db, sql: "SELECT dump_sha256, status, error FROM stage_state WHERE stage = 'parse'")
    }
    let failed = rows.filter { ($0["status"] as String) == "failed" }
    #expect(failed.map { $0["dump_sha256"] as String } == [poison])
    #expect(
      (failed.first?["error"] as String?)?.contains("abandoned by 3 interrupted runs") == true)
    #expect(rows.filter { ($0["status"] as String) == "done" }.count == 599)
  }
}
