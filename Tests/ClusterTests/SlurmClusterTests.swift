import Cluster
import CrashsiftTestSupport
import Foundation
import Testing

/// `crashsift slurm submit` on a real one-node Slurm cluster (munged, slurmctld and slurmd
/// started by `scripts/slurm-cluster.sh start`, which `.ci/run` calls): the merged workspace and
/// its report equal a single-machine run of the same forged corpus; a failed shard keeps the merge
/// from running until it is submitted again alone; a merge killed part-way and run again gives the
/// same workspace.
@Suite("Slurm: submit, fail, resubmit", .serialized)
struct SlurmClusterTests {
  static let cluster = Requirement.capability("a Slurm cluster (scripts/slurm-cluster.sh start)") {
    let state = (try? Self.slurm("sinfo", ["-h", "-o", "%T"])) ?? ""
    return state.hasPrefix("idle") || state.hasPrefix("mix") || state.hasPrefix("alloc")
      ? nil
      : "no idle Slurm node (sinfo: \(state.isEmpty ? "not answering" : state)); run scripts/slurm-cluster.sh start as root"
  }

  /// Runs a Slurm client program; its standard output, trimmed. Throws when it fails.
  static func slurm(_ program: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ClusterError("\(program) \(arguments.joined(separator: " ")) failed")
    }
    return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The job's JobState once it left the queue (COMPLETED, FAILED, CANCELLED, …), waiting for it.
  /// The wait is bounded only so a broken cluster cannot hang the run forever.
  static func finalState(_ job: String) throws -> String {
    for _ in 0..<6000 {
      let show = (try? slurm("scontrol", ["show", "job", job, "-o"])) ?? ""
      if let state = show.split(separator: " ").first(where: { $0.hasPrefix("JobState=") }) {
        let value = String(state.dropFirst("JobState=".count))
        if !["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"].contains(value) { return value }
      }
      usleep(200_000)
    }
    throw ClusterError("job \(job) did not finish")
  }

  /// Waits until Slurm has no task of `job` queued or running (an array's tasks included).
  static func waitGone(_ job: String) throws {
    for _ in 0..<6000 {
      let queued = (try? slurm("squeue", ["-h", "-j", job])) ?? ""
      if queued.isEmpty { return }
      usleep(200_000)
    }
    throw ClusterError("job \(job) did not leave the queue")
  }

  static func jobs(_ stdout: String) throws -> SlurmSubmission.Jobs {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(SlurmSubmission.Jobs.self, from: Data(stdout.utf8))
  }

  @Test(
    "slurm submit --shards 4 on forge --scale 5000: merged workspace and report equal one single run",
    .requires(cluster))
  func submit() throws {
    try Self.cluster.resolve()
    let night = try ShardMergeTests.Night(count: 5000)
    let out = night.dir.file("out")
    let result = try ShardMergeTests.check([
      "slurm", "submit", "--shards", "4", "--manifest", night.manifest, "--workspace", out,
      "--dir", night.dir.file("jobs"), "--offline", "--json",
    ])
    let jobs = try Self.jobs(result.stdout)
    #expect(jobs.arrays.count == 1 && jobs.arrays[0].lastShard == 3)
    #expect(try Self.finalState(jobs.merge) == "COMPLETED")
    #expect(try ShardMergeTests.snapshot(out) == ShardMergeTests.snapshot(night.single))
    // The merge job wrote the report; the single run's, written now, must be the same files
    // (the versions member names this build in both).
    let merged = try ShardMergeTests.files(of: "\(out)/report")
    #expect(merged == (try ShardMergeTests.report(night.single, manifest: night.manifest)))
    #expect(merged.count > 10)
  }

  @Test(
    "a failed shard (shared store, arrays of 3): the merge never runs; the shard resubmitted alone, then merge and report; a merge killed part-way, run again, gives the same workspace",
    .requires(cluster))
  func failure() throws {
    try Self.cluster.resolve()
    let night = try ShardMergeTests.Night(count: 400)
    let out = night.dir.file("out")
    let dir = night.dir.file("jobs")
    let submitted = try ShardMergeTests.check(
      [
        "slurm", "submit", "--shards", "4", "--manifest", night.manifest, "--workspace", out,
        "--dir", dir, "--offline", "--json", "--max-array-size", "3", "--store-shared",
      ], environment: ["CRASHSIFT_FAIL_SHARD": "2"])
    let jobs = try Self.jobs(submitted.stdout)
    // MaxArraySize 3: shards 0–2 in one array, 3 in a second with CRASHSIFT_SHARD_OFFSET=3.
    #expect(jobs.arrays.map(\.firstShard) == [0, 3])
    for array in jobs.arrays { try Self.waitGone(array.job) }
    #expect(try Self.finalState(jobs.arrays[1].job) == "COMPLETED")
    #expect(try Self.finalState(jobs.merge) == "CANCELLED")
    #expect(!FileManager.default.fileExists(atPath: "\(out)/crashsift.sqlite"))
    #expect(!FileManager.default.fileExists(atPath: "\(dir)/shards/shard-2"))
    #expect(FileManager.default.fileExists(atPath: "\(dir)/shards/shard-3/shard.json"))
    // --store-shared: the published shard's dumps are the workspace's store, not a copy.
    #expect(
      (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(dir)/shards/shard-3/dumps"))
        == "\(out)/dumps")

    let again = try ShardMergeTests.check([
      "slurm", "resubmit", "--dir", dir, "--shards", "2", "--json",
    ])
    let rerun = try Self.jobs(again.stdout)
    #expect(try Self.finalState(rerun.merge) == "COMPLETED")
    let expected = try ShardMergeTests.snapshot(night.single)
    #expect(try ShardMergeTests.snapshot(out) == expected)

    // The merge job again, on a fresh workspace, killed inside its transaction, then again.
    // (The store stays: it is the shards' shared store.)
    for name in ["crashsift.sqlite", "crashsift.sqlite-wal", "crashsift.sqlite-shm", "report"] {
      try? FileManager.default.removeItem(atPath: "\(out)/\(name)")
    }
    let killed = try Self.slurm(
      "sbatch",
      [
        "--parsable", "--export=ALL,CRASHSIFT_FAULT=merge-stage:5", "\(dir)/merge.sbatch",
      ])
    #expect(try Self.finalState(killed) == "FAILED")
    let finished = try Self.slurm("sbatch", ["--parsable", "\(dir)/merge.sbatch"])
    #expect(try Self.finalState(finished) == "COMPLETED")
    #expect(try ShardMergeTests.snapshot(out) == expected)
  }
}
