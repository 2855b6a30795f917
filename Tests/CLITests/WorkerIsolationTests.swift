import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

/// `crashsift run` runs the per-dump stages in supervised worker processes: a dump that traps,
/// hangs or exhausts memory in a reader fails alone, with the reason, and the night goes on.
@Suite("worker isolation", .serialized)
struct WorkerIsolationTests {
  static func forge(_ count: Int, into dir: TemporaryDirectory) throws -> String {
    let forge = try CrashsiftBinary.run([
      "forge", "--scale", String(count), "-o", dir.file("corpus"), "--images",
      "\(Corpus.packageRoot)/samples/images",
    ])
    #expect(forge.status == 0, "\(forge.stderr)")
    return dir.file("corpus/manifest.json")
  }

  /// Ingests the corpus; returns `count` stored dumps from the `offset`-th by hash.
  static func ingest(_ manifest: String, into workspace: String, picking count: Int, at offset: Int)
    throws -> [String]
  {
    let ingest = try CrashsiftBinary.run([
      "ingest", "--manifest", manifest, "--workspace", workspace, "--quiet",
    ])
    #expect(ingest.status == 0, "\(ingest.stderr)")
    return try DatabaseQueue(path: "\(workspace)/crashsift.sqlite").read { db in
      try String.fetchAll(
        db, sql: "SELECT sha256 FROM dumps ORDER BY sha256 LIMIT ? OFFSET ?",
        arguments: [count, offset])
    }
  }

  static func stageRows(_ workspace: String) throws -> [Row] {
    try DatabaseQueue(path: "\(workspace)/crashsift.sqlite").read { db in
      try Row.fetchAll(db, sql: "SELECT dump_sha256, stage, status, error FROM stage_state")
    }
  }

  @Test("a trapping, a hanging and a memory-hungry dump among 2,000: one run, three failures")
  func poisonAmongGood() throws {
    let dir = TemporaryDirectory()
    let manifest = try Self.forge(2003, into: dir)
    let workspace = dir.file("ws")
    let picks = try Self.ingest(manifest, into: workspace, picking: 3, at: 700)
    try #require(picks.count == 3)
    let (trap, hang, hungry) = (picks[0], picks[1], picks[2])
    let pipeline = dir.file("pipeline.json")
    try #"{"version": 1, "workers": {"dump_timeout_seconds": 3, "memory_limit_mib": 300}}"#
      .write(toFile: pipeline, atomically: true, encoding: .utf8)
    let run = try CrashsiftBinary.run(
      [
        "run", "--manifest", manifest, "--workspace", workspace, "--pipeline", pipeline,
        "--quiet", "--jobs", "2",
      ],
      environment: ["CRASHSIFT_POISON": "\(trap):trap,\(hang):hang,\(hungry):memory"])
    #expect(!run.signaled && run.status == 1, "exit 1 names the failures: \(run.stderr)")
    #expect(run.stderr.contains("parse: 3 dumps failed"), "\(run.stderr)")

    let rows = try Self.stageRows(workspace)
    let failed = Dictionary(
      uniqueKeysWithValues: rows.filter { ($0["status"] as String) == "failed" }.map {
        ($0["dump_sha256"] as String, $0["error"] as String? ?? "")
      })
    #expect(Set(failed.keys) == [trap, hang, hungry])
    let trapReason = failed[trap] ?? ""
    // A Swift trap is SIGILL on x86-64 and SIGTRAP on ARM64.
    #expect(
      trapReason.contains("worker killed by SIGILL while parsing")
        || trapReason.contains("worker killed by SIGTRAP while parsing"), "\(trapReason)")
    // One death is not proof: the dump was tried on a second, fresh worker first.
    #expect(trapReason.contains("on two workers in a row"), "\(trapReason)")
    #expect(trapReason.contains("Not enough bits to represent the passed value"), "\(trapReason)")
    #expect(trapReason.contains("reproduce with crashsift analyze \(workspace)/dumps/"))
    let hangReason = failed[hang] ?? ""
    #expect(
      hangReason.contains("worker killed after 3 s on this dump while parsing"), "\(hangReason)")
    let hungryReason = failed[hungry] ?? ""
    #expect(
      hungryReason.contains("memory_limit_mib"), "a memory death names the limit: \(hungryReason)")
    // Every other dump went through every stage.
    for stage in ["parse", "symbolize", "bucket"] {
      let done = rows.filter {
        ($0["stage"] as String) == stage && ($0["status"] as String) == "done"
      }
      #expect(done.count == 2000, "\(stage): \(done.count) done")
    }
    #expect(!rows.contains { ($0["status"] as String) == "running" })
    let failures = try String(contentsOfFile: "\(workspace)/report/failures.html", encoding: .utf8)
    #expect(failures.contains(trap) && failures.contains("Not enough bits"))
    #expect(OrphanWorkers.list().isEmpty)

    // Nothing is left to do: the failed dumps are not retried without --retry-failed.
    let again = try CrashsiftBinary.run(
      [
        "run", "--manifest", manifest, "--workspace", workspace, "--pipeline", pipeline,
        "--quiet", "--json",
      ],
      environment: ["CRASHSIFT_POISON": "\(trap):trap,\(hang):hang,\(hungry):memory"])
    let summary = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
    let stages = summary?["stages"] as? [[String: Any]] ?? []
    #expect(stages.count == 3)
    #expect(stages.allSatisfy { ($0["processed"] as? Int) == 0 }, "\(again.stdout)")
  }

  @Test("a worker killed once on an innocent dump (as by the OOM killer) costs nothing")
  func killedOnce() throws {
    let dir = TemporaryDirectory()
    let manifest = try Self.forge(60, into: dir)
    let workspace = dir.file("ws")
    let victim = try #require(try Self.ingest(manifest, into: workspace, picking: 1, at: 20).first)
    let marker = "\(NSTemporaryDirectory())/crashsift-poison-once-\(victim)"
    try? FileManager.default.removeItem(atPath: marker)
    defer { try? FileManager.default.removeItem(atPath: marker) }
    let run = try CrashsiftBinary.run(
      ["run", "--manifest", manifest, "--workspace", workspace, "--quiet", "--no-report"],
      environment: ["CRASHSIFT_POISON": "\(victim):once"])
    #expect(run.status == 0, "the second worker finished it: \(run.stderr)")
    #expect(FileManager.default.fileExists(atPath: marker), "the first worker was killed")
    let rows = try Self.stageRows(workspace)
    #expect(rows.count == 180 && rows.allSatisfy { ($0["status"] as String) == "done" })
  }

  @Test("a worker dying in a later stage of a dump's pass: the earlier stages' rows stand")
  func deathLaterInThePass() throws {
    let dir = TemporaryDirectory()
    let manifest = try Self.forge(60, into: dir)
    let workspace = dir.file("ws")
    let picks = try Self.ingest(manifest, into: workspace, picking: 2, at: 20)
    try #require(picks.count == 2)
    let (poisoned, once) = (picks[0], picks[1])
    let marker = "\(NSTemporaryDirectory())/crashsift-poison-once-\(once)"
    try? FileManager.default.removeItem(atPath: marker)
    defer { try? FileManager.default.removeItem(atPath: marker) }
    // One dump kills every worker that symbolizes it; another kills the first worker that
    // buckets it (as the OOM killer might), and only that one.
    let run = try CrashsiftBinary.run(
      [
        "run", "--manifest", manifest, "--workspace", workspace, "--quiet", "--no-report", "--json",
      ],
      environment: ["CRASHSIFT_POISON": "\(poisoned):kill@symbolize,\(once):once@bucket"])
    #expect(run.status == 1, "exit 1 names the failure: \(run.stderr)")
    #expect(FileManager.default.fileExists(atPath: marker), "a worker died bucketing")
    let rows = try Self.stageRows(workspace)
    func state(_ dump: String, _ stage: String) -> (String, String)? {
      rows.first { ($0["dump_sha256"] as String) == dump && ($0["stage"] as String) == stage }
        .map { ($0["status"] as String, $0["error"] as String? ?? "") }
    }
    // Parsed in the pass that died symbolizing: kept, not redone.
    #expect(state(poisoned, "parse")?.0 == "done")
    let symbolize = state(poisoned, "symbolize")
    #expect(symbolize?.0 == "failed", "\(String(describing: symbolize))")
    // The death in the pass was the first strike; its own pass's death the second.
    #expect(symbolize?.1.contains("while symbolizing, on two workers in a row") == true)
    #expect(symbolize?.1.contains("reproduce with") == true)
    #expect(state(poisoned, "bucket") == nil, "nothing to bucket")
    for stage in ["parse", "symbolize", "bucket"] {
      #expect(
        state(once, stage)?.0 == "done", "\(stage): \(String(describing: state(once, stage)))")
    }
    #expect(rows.filter { ($0["status"] as String) == "done" }.count == 60 * 3 - 2)
    // The summary says where the work happened: bucket finished the dump whose pass died there.
    let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
    let stages = summary?["stages"] as? [[String: Any]] ?? []
    let bucket = stages.first { ($0["name"] as? String) == "bucket" }
    #expect(bucket?["processed"] as? Int == 59)
    #expect(bucket?["handed_off"] as? Int == 58, "\(run.stdout)")
    #expect(OrphanWorkers.list().isEmpty)
  }

  @Test("results from worker processes equal results from threads, and without the hand-off")
  func sameAsThreads() throws {
    let dir = TemporaryDirectory()
    let manifest = try Self.forge(400, into: dir)
    let separate = dir.file("separate.json")
    try #"{"version": 1, "workers": {"hand_off": false}}"#
      .write(toFile: separate, atomically: true, encoding: .utf8)
    var snapshots: [[String]] = []
    // Threads, worker processes (both with the hand-off: each dump through every stage on one
    // worker), and worker processes running each stage over all dumps before the next.
    for mode in [["--in-process"], [], ["--pipeline", separate]] {
      let workspace = dir.file("ws\(snapshots.count)")
      let run = try CrashsiftBinary.run(
        [
          "run", "--manifest", manifest, "--workspace", workspace, "--quiet", "--no-report",
          "--json",
        ]
          + mode)
      #expect(run.status == 0, "\(run.stderr)")
      let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
      let handedOff = (summary?["stages"] as? [[String: Any]] ?? []).map {
        $0["handed_off"] as? Int ?? -1
      }
      #expect(handedOff == (mode.first == "--pipeline" ? [0, 0, 0] : [0, 400, 400]), "\(mode)")
      snapshots.append(
        try DatabaseSnapshot.lines(databasePath: "\(workspace)/crashsift.sqlite").filter {
          !$0.hasPrefix("runs|")
        })
    }
    #expect(snapshots[0].count > 400)
    for other in 1..<snapshots.count {
      #expect(
        snapshots[0] == snapshots[other],
        "\(LineDiff.describe(actual: snapshots[other], expected: snapshots[0]))")
    }
  }
}
