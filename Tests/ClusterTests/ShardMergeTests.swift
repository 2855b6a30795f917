import Cluster
import CrashsiftTestSupport
import Foundation
import GRDB
import Pipeline
import Testing

/// Sharded nights without a scheduler: plans, shard runs and merges against one
/// single-machine run of the same forged corpus, database row for row (timestamps and run
/// bookkeeping aside, `DatabaseSnapshot`) and report file for file.
@Suite("shards and merge")
struct ShardMergeTests {
  /// A forged corpus of `count` dumps over seven nights, with its single-machine workspace and
  /// report.
  final class Night: @unchecked Sendable {
    let dir = TemporaryDirectory("crashsift-shards")
    let manifest: String
    let single: String

    init(count: Int = 240) throws {
      manifest = dir.file("corpus/manifest.json")
      single = dir.file("single")
      let forge = try CrashsiftBinary.run([
        "forge", "--scale", "\(count)", "-o", dir.file("corpus"), "--images",
        "\(Corpus.packageRoot)/samples/images",
      ])
      guard forge.status == 0 else { throw ClusterError("forge: \(forge.stderr)") }
      try ShardMergeTests.check(
        ["run", "--manifest", manifest, "--workspace", single, "-q", "--offline"])
    }

    /// The manifest's inputs, in order.
    func inputs() throws -> [ShardPlan.Input] {
      let (plan, _) = try ShardPlan.make(
        manifest: try Manifest.load(path: manifest), count: 1,
        workspace: Workspace(directory: dir.file("none")))
      return plan.shards[0].inputs
    }
  }

  @discardableResult
  static func check(_ arguments: [String], environment: [String: String] = [:]) throws
    -> CrashsiftBinary.Result
  {
    let result = try CrashsiftBinary.run(arguments, environment: environment)
    guard result.status == 0 else {
      throw ClusterError("crashsift \(arguments.joined(separator: " ")): \(result.stderr)")
    }
    return result
  }

  /// Runs every shard of `plan` (written to `planPath`) into `prefix-I`.
  static func runShards(_ plan: ShardPlan, planPath: String, prefix: String) throws -> [String] {
    try plan.encoded().write(to: URL(fileURLWithPath: planPath))
    return try plan.shards.map { shard in
      let workspace = "\(prefix)-\(shard.index)"
      try check([
        "run", "--plan", planPath, "--shard", "\(shard.index)", "--workspace", workspace, "-q",
        "--offline",
      ])
      return workspace
    }
  }

  /// Every file of a report folder with its bytes.
  static func report(_ workspace: String, manifest: String) throws -> [String: Data] {
    try check(["report", "--manifest", manifest, "--workspace", workspace])
    return try files(of: "\(workspace)/report")
  }

  /// Every file below `root` with its bytes, by relative path.
  static func files(of root: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    let names = FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []
    for name in names {
      var isDirectory: ObjCBool = false
      FileManager.default.fileExists(atPath: "\(root)/\(name)", isDirectory: &isDirectory)
      if !isDirectory.boolValue {
        files[name] = FileManager.default.contents(atPath: "\(root)/\(name)")
      }
    }
    return files
  }

  static func snapshot(_ workspace: String) throws -> [String] {
    try DatabaseSnapshot.lines(
      databasePath: "\(workspace)/crashsift.sqlite", extra: [DatabaseSnapshot.symbolLookups])
  }

  @Test("random partitions into 1–8 shards, merged in random orders, equal one single run")
  func partitions() throws {
    let night = try Night()
    let expected = try Self.snapshot(night.single)
    let expectedReport = try Self.report(night.single, manifest: night.manifest)
    let inputs = try night.inputs()
    var random = SplitMix64(seed: 0x2026_1207)
    for trial in 0..<3 {
      let count = 1 + Int(random.next() % 8)
      var shards = [[ShardPlan.Input]](repeating: [], count: count)
      for input in inputs { shards[Int(random.next() % UInt64(count))].append(input) }
      let plan = ShardPlan(
        manifest: night.manifest, workspace: night.dir.file("merged-\(trial)"), shards: shards)
      var workspaces = try Self.runShards(
        plan, planPath: night.dir.file("plan-\(trial).json"),
        prefix: night.dir.file("trial-\(trial)/shard"))
      for index in workspaces.indices.reversed() {
        workspaces.swapAt(index, Int(random.next() % UInt64(index + 1)))
      }
      let target = night.dir.file("merged-\(trial)")
      try Self.check(
        ["merge"] + workspaces + [
          "--into", target, "--manifest", night.manifest, "-q", "--offline",
        ])
      #expect(try Self.snapshot(target) == expected, "trial \(trial): \(count) shards")
      #expect(
        try Self.report(target, manifest: night.manifest) == expectedReport,
        "trial \(trial): report")
    }
  }

  @Test(
    "crashsift plan: deterministic, balanced by bytes; its shards from SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX merge to the single run"
  )
  func plan() throws {
    let night = try Night(count: 120)
    let first = try Self.check([
      "plan", "--shards", "3", "--manifest", night.manifest, "--workspace",
      night.dir.file("merged"),
    ])
    let again = try Self.check([
      "plan", "--shards", "3", "--manifest", night.manifest, "--workspace",
      night.dir.file("merged"), "-o", night.dir.file("plan.json"),
    ])
    #expect(again.stdout.contains("120 inputs in 3 shards"))
    let plan = try ShardPlan.load(path: night.dir.file("plan.json"))
    #expect(try String(decoding: plan.encoded(), as: UTF8.self) + "\n" == first.stdout)
    let largest = plan.shards.flatMap(\.inputs).map(\.size).max() ?? 0
    let loads = plan.shards.map(\.bytes)
    #expect((loads.max() ?? 0) - (loads.min() ?? 0) <= largest, "\(loads)")
    // Shard 0 from Slurm's variable, 1 from Kubernetes', 2 from --shard; each says where from.
    let environments: [(String, [String: String], [String])] = [
      ("SLURM_ARRAY_TASK_ID", ["SLURM_ARRAY_TASK_ID": "0"], []),
      ("JOB_COMPLETION_INDEX", ["JOB_COMPLETION_INDEX": "1"], []),
      ("--shard", [:], ["--shard", "2"]),
    ]
    var workspaces: [String] = []
    for (index, (source, environment, extra)) in environments.enumerated() {
      let workspace = night.dir.file("shard-\(index)")
      let result = try Self.check(
        ["run", "--plan", night.dir.file("plan.json"), "--workspace", workspace, "--offline"]
          + extra, environment: environment)
      #expect(result.stderr.contains("shard \(index) of 3 (from \(source))"), "\(result.stderr)")
      workspaces.append(workspace)
    }
    let outside = try CrashsiftBinary.run(
      ["run", "--plan", night.dir.file("plan.json"), "--workspace", night.dir.file("x")],
      environment: ["SLURM_ARRAY_TASK_ID": "3"])
    #expect(outside.status == 2)
    #expect(outside.stderr.contains("shard 3 (from SLURM_ARRAY_TASK_ID) is not in the plan"))
    let noWorkspace = try CrashsiftBinary.run(
      ["run", "--plan", night.dir.file("plan.json"), "--shard", "0"])
    #expect(noWorkspace.status != 0 && noWorkspace.stderr.contains("--workspace"))
    try Self.check(
      ["merge"] + workspaces + [
        "--into", night.dir.file("merged"), "--manifest", night.manifest, "-q", "--offline",
      ])
    #expect(try Self.snapshot(night.dir.file("merged")) == Self.snapshot(night.single))
    // Planned again against the merged workspace: nothing is left to do.
    let rest = try Self.check([
      "plan", "--shards", "3", "--manifest", night.manifest, "--workspace",
      night.dir.file("merged"), "-o", night.dir.file("plan2.json"),
    ])
    #expect(rest.stdout.contains("0 inputs in 3 shards"), "\(rest.stdout)")
    #expect(try ShardPlan.load(path: night.dir.file("plan2.json")).alreadyIngested == 120)
  }

  @Test(
    "merging the same shards again changes nothing; a merge killed part-way and run again gives the same workspace"
  )
  func idempotentAndKillSafe() throws {
    let night = try Night(count: 120)
    let expected = try Self.snapshot(night.single)
    let (plan, _) = try ShardPlan.make(
      manifest: try Manifest.load(path: night.manifest), count: 3,
      workspace: Workspace(directory: night.dir.file("merged")))
    let shards = try Self.runShards(
      plan, planPath: night.dir.file("plan.json"), prefix: night.dir.file("shard"))
    for (round, fault) in ["merge-stage:2", "merge-commit:1", "merge-placed:2"].enumerated() {
      let target = night.dir.file("killed-\(round)")
      let killed = try CrashsiftBinary.run(
        ["merge"] + shards + [
          "--into", target, "--manifest", night.manifest, "-q", "--offline",
        ], environment: ["CRASHSIFT_FAULT": fault])
      #expect(killed.signaled, "\(fault): the merge was not killed")
      try Self.check(
        ["merge"] + shards + [
          "--into", target, "--manifest", night.manifest, "-q", "--offline",
        ])
      #expect(try Self.snapshot(target) == expected, "after a kill at \(fault)")
    }
    let target = night.dir.file("killed-0")
    func bookkeeping() throws -> [String] {
      let queue = try DatabaseQueue(path: "\(target)/crashsift.sqlite")
      return try queue.read { db in
        try String.fetchAll(
          db, sql: "SELECT digest || ' ' || shard_index FROM merged_shards ORDER BY 1")
          + String.fetchAll(db, sql: "SELECT id || ' ' || command FROM runs ORDER BY id")
      }
    }
    let before = try bookkeeping()
    let again = try Self.check(
      ["merge"] + shards.reversed() + [
        "--into", target, "--manifest", night.manifest, "--offline",
      ])
    #expect(again.stdout.components(separatedBy: "already merged").count == 4, "\(again.stdout)")
    #expect(try bookkeeping() == before)
    #expect(try Self.snapshot(target) == expected)
  }

  @Test("a second night merged onto the first equals one workspace that ran both nights")
  func secondNight() throws {
    let night = try Night()
    // The first four nights, then all seven: the same batches, the same files.
    let text = try String(contentsOfFile: night.manifest, encoding: .utf8)
    var document = try #require(
      try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let batches = try #require(document["batches"] as? [Any])
    document["batches"] = Array(batches.prefix(4))
    let firstManifest = night.dir.file("corpus/first-nights.json")
    try JSONSerialization.data(withJSONObject: document).write(
      to: URL(fileURLWithPath: firstManifest))
    let target = night.dir.file("merged")
    for (round, manifest) in [firstManifest, night.manifest].enumerated() {
      let (plan, _) = try ShardPlan.make(
        manifest: try Manifest.load(path: manifest), count: 2 + round,
        workspace: Workspace(directory: target))
      if round == 1 { #expect(plan.alreadyIngested > 0) }
      let shards = try Self.runShards(
        plan, planPath: night.dir.file("plan-\(round).json"),
        prefix: night.dir.file("night-\(round)/shard"))
      try Self.check(
        ["merge"] + shards + ["--into", target, "--manifest", manifest, "-q", "--offline"])
    }
    #expect(try Self.snapshot(target) == Self.snapshot(night.single))
    #expect(
      try Self.report(target, manifest: night.manifest)
        == Self.report(night.single, manifest: night.manifest))
  }

  @Test(
    "a shard of another crashsift is refused with what to do; --rerun-stale takes it and redoes its stale stages"
  )
  func otherVersion() throws {
    let night = try Night(count: 120)
    let (plan, _) = try ShardPlan.make(
      manifest: try Manifest.load(path: night.manifest), count: 2,
      workspace: Workspace(directory: night.dir.file("merged")))
    let shards = try Self.runShards(
      plan, planPath: night.dir.file("plan.json"), prefix: night.dir.file("shard"))
    // Shard 1 as an older crashsift would have left it: other rules, an older bucket stage.
    let stampPath = "\(shards[1])/shard.json"
    var stamp = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: stampPath)))
        as? [String: Any])
    var versions = try #require(stamp["crashsift"] as? [String: Any])
    versions["bucketing_rules"] = "000000000000"
    stamp["crashsift"] = versions
    try JSONSerialization.data(withJSONObject: stamp).write(to: URL(fileURLWithPath: stampPath))
    let queue = try DatabaseQueue(path: "\(shards[1])/crashsift.sqlite")
    try queue.write { db in
      try db.execute(
        sql:
          "UPDATE stage_state SET stage_version = stage_version - 1 WHERE stage = 'bucket'")
      try db.execute(sql: "UPDATE buckets SET failure_bucket_id = 'stale'")
    }
    let refused = try CrashsiftBinary.run(
      ["merge"] + shards + [
        "--into", night.dir.file("merged"), "--manifest", night.manifest, "--offline",
      ])
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("made by another crashsift (bucketing rules 000000000000"))
    #expect(refused.stderr.contains("--rerun-stale"))
    let taken = try Self.check(
      ["merge"] + shards + [
        "--into", night.dir.file("merged"), "--manifest", night.manifest, "--offline",
        "--rerun-stale", "-q",
      ])
    #expect(taken.stdout.contains("stale"), "\(taken.stdout)")
    #expect(try Self.snapshot(night.dir.file("merged")) == Self.snapshot(night.single))
  }

  @Test(
    "the plan, a shard's stamp and merge --json validate against docs/schema",
    .requires(SchemaValidator.requirement))
  func schemas() throws {
    try SchemaValidator.requirement.resolve()
    let night = try Night(count: 40)
    let planPath = night.dir.file("plan.json")
    try Self.check([
      "plan", "--shards", "2", "--manifest", night.manifest, "--workspace",
      night.dir.file("merged"), "-o", planPath,
    ])
    let plan = try ShardPlan.load(path: planPath)
    let shards = try Self.runShards(plan, planPath: planPath, prefix: night.dir.file("shard"))
    let merged = try Self.check(
      ["merge"] + shards + [
        "--into", night.dir.file("merged"), "--manifest", night.manifest, "--offline", "--json",
      ])
    let mergePath = night.dir.file("merge.json")
    try Data(merged.stdout.utf8).write(to: URL(fileURLWithPath: mergePath))
    let errors = try SchemaValidator.errors(files: [
      planPath, "\(shards[0])/shard.json", mergePath,
    ])
    #expect(errors.isEmpty, "\(errors.prefix(10).joined(separator: "\n"))")
  }

  @Test("shards writing into the workspace's store (run --store): the merge moves only records")
  func sharedStore() throws {
    let night = try Night(count: 120)
    let target = night.dir.file("merged")
    let planPath = night.dir.file("plan.json")
    try Self.check([
      "plan", "--shards", "3", "--manifest", night.manifest, "--workspace", target, "-o",
      planPath,
    ])
    var shards: [String] = []
    for index in 0..<3 {
      let workspace = night.dir.file("shard-\(index)")
      try Self.check([
        "run", "--plan", planPath, "--shard", "\(index)", "--workspace", workspace, "--store",
        "\(target)/dumps", "-q", "--offline",
      ])
      let link = try FileManager.default.destinationOfSymbolicLink(atPath: "\(workspace)/dumps")
      #expect(link == "\(target)/dumps")
      shards.append(workspace)
    }
    // A shard workspace that keeps its own dumps cannot be pointed at a store afterwards.
    let refused = try CrashsiftBinary.run([
      "run", "--plan", planPath, "--shard", "0", "--workspace", night.single, "--store",
      "\(target)/dumps", "--offline",
    ])
    #expect(refused.status == 2 && refused.stderr.contains("already holds dumps of its own"))
    try Self.check(
      ["merge"] + shards + ["--into", target, "--manifest", night.manifest, "--offline", "-q"])
    #expect(try Self.snapshot(target) == Self.snapshot(night.single))
    let stored =
      FileManager.default.enumerator(atPath: "\(target)/dumps")?.allObjects
      .compactMap { $0 as? String }.filter { $0.hasSuffix(".dmp") } ?? []
    #expect(stored.count == 120)
  }

  @Test(
    "a dump two shards finished differently: one shard's rows from its first better stage down, whatever the order; a removed downstream row is redone"
  )
  func divergentOutcomes() throws {
    let night = try Night(count: 60)
    let inputs = try night.inputs()
    // Every input in both shards: each dump has a row in each.
    let plan = ShardPlan(
      manifest: night.manifest, workspace: night.dir.file("merged"), shards: [inputs, inputs])
    let shards = try Self.runShards(
      plan, planPath: night.dir.file("plan.json"), prefix: night.dir.file("shard"))
    // Shard 0 as if its symbols were missing for one dump: symbolize deferred, and a bucket made
    // from the frames it had (a wrong one, to tell them apart).
    let queue = try DatabaseQueue(path: "\(shards[0])/crashsift.sqlite")
    let dump = try #require(
      try queue.read { db in
        try String.fetchOne(db, sql: "SELECT dump_sha256 FROM buckets ORDER BY 1 LIMIT 1")
      })
    try queue.write { db in
      try db.execute(
        sql:
          "UPDATE stage_state SET status = 'deferred' WHERE stage = 'symbolize' AND dump_sha256 = ?",
        arguments: [dump])
      try db.execute(
        sql: "UPDATE buckets SET failure_bucket_id = 'from-unnamed-frames' WHERE dump_sha256 = ?",
        arguments: [dump])
    }
    let expected = try Self.snapshot(night.single)
    for (round, order) in [[0, 1], [1, 0]].enumerated() {
      let target = night.dir.file("merged-\(round)")
      try Self.check(
        ["merge"] + order.map { shards[$0] } + [
          "--into", target, "--manifest", night.manifest, "-q", "--offline",
        ])
      #expect(try Self.snapshot(target) == expected, "shards merged in order \(order)")
    }
    // The other way round: the workspace holds the deferred dump (shard 0 merged alone), then
    // shard 1 brings it done: its symbolize and bucket replace both of the workspace's rows.
    let target = night.dir.file("merged-apart")
    for shard in shards {
      try Self.check([
        "merge", shard, "--into", target, "--manifest", night.manifest, "-q", "--offline",
      ])
    }
    #expect(try Self.snapshot(target) == expected)
  }
}
