import Crypto
import Foundation

/// `crashsift slurm submit`: a night as Slurm jobs (docs/cluster.md) — a plan job (`crashsift
/// plan`), the shards as job arrays gated on it (`--dependency=afterok`; split into several
/// arrays of at most MaxArraySize tasks, each passing its first shard as
/// `CRASHSIFT_SHARD_OFFSET`), and a merge-and-report job gated on every array, cancelled by Slurm
/// when a shard fails (`--kill-on-invalid-dep=yes`). Each shard runs in node-local scratch, then
/// publishes its finished workspace to `<dir>/shards/shard-I`; the merge reads those.
/// Everything is written to `dir` (scripts, `submission.json`, `logs/`), so a failed shard can be
/// submitted again alone (`resubmit`) and the merge run again.
public struct SlurmSubmission: Codable, Sendable, Equatable {
  /// `crashsift.slurm-submission/1.0`.
  public var schema = "crashsift.slurm-submission/1.0"
  public var shards: Int
  public var manifest: String
  public var workspace: String
  /// The folder of scripts, plan, logs and published shards (on a filesystem every node sees).
  public var directory: String
  /// The crashsift executable the jobs run (on a path every node sees).
  public var binary: String
  public var partition: String?
  public var time: String?
  public var memory: String?
  /// Node-local scratch for running shards; nil: `$TMPDIR`, else `/tmp`, on the node.
  public var scratch: String?
  /// At most this many shards of an array at once (`%K`).
  public var maxParallel: Int?
  /// The cluster's MaxArraySize: arrays hold at most this many tasks.
  public var maxArraySize: Int
  /// More arguments for every shard run (e.g. `--offline`).
  public var runArguments: [String]
  /// Shards keep their dumps in the workspace's own store (`<workspace>/dumps`, on a shared
  /// filesystem), so publishing a shard and merging it move only records.
  public var storeShared: Bool
  /// The node the plan and merge jobs run on (`--nodelist`): the one whose disk holds the
  /// workspace, when it is not on a filesystem every node can lock.
  public var mergeNode: String?

  /// The job ids of one submission.
  public struct Jobs: Codable, Sendable, Equatable {
    public var plan: String?
    /// One array per chunk of shards: its job id and first and last shard.
    public var arrays: [Array]
    public var merge: String

    public struct Array: Codable, Sendable, Equatable {
      public var job: String
      public var firstShard: Int
      public var lastShard: Int
    }
  }

  public init(
    shards: Int, manifest: String, workspace: String, directory: String, binary: String,
    partition: String? = nil, time: String? = nil, memory: String? = nil,
    scratch: String? = nil, maxParallel: Int? = nil, maxArraySize: Int = 1001,
    runArguments: [String] = [], storeShared: Bool = false, mergeNode: String? = nil
  ) {
    self.storeShared = storeShared
    self.mergeNode = mergeNode
    self.shards = shards
    self.manifest = manifest
    self.workspace = workspace
    self.directory = directory
    self.binary = binary
    self.partition = partition
    self.time = time
    self.memory = memory
    self.scratch = scratch
    self.maxParallel = maxParallel
    self.maxArraySize = max(1, maxArraySize)
    self.runArguments = runArguments
  }

  var planPath: String { "\(directory)/plan.json" }
  var shardsDirectory: String { "\(directory)/shards" }
  var logs: String { "\(directory)/logs" }

  /// A shell word: single-quoted, inner quotes escaped.
  static func quote(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// The most shards one submission takes: the merge job names every shard on its command line.
  public static let maxShards = 10_000

  /// Why these settings cannot make working job scripts, nil when they can: `#SBATCH` lines are
  /// not shell-quoted (a space or a `%` pattern in a path would be misread).
  public var problem: String? {
    guard shards >= 1, shards <= Self.maxShards else {
      return "--shards must be between 1 and \(Self.maxShards) (got \(shards))"
    }
    let plain = { (text: String) in
      !text.contains(where: { $0.isWhitespace || $0 == "%" || $0 == "'" || $0 == "\"" })
    }
    for (name, value) in [
      ("--dir", directory), ("--partition", partition ?? ""), ("--time", time ?? ""),
      ("--mem", memory ?? ""), ("--merge-node", mergeNode ?? ""),
    ] where !plain(value) {
      return "\(name) \(value): no spaces, quotes or % (they go on #SBATCH lines unquoted)"
    }
    return nil
  }

  func header(_ name: String, output: String, memory: Bool, pinned: Bool = false) -> [String] {
    var lines = [
      "#!/bin/bash", "#SBATCH --job-name=crashsift-\(name)", "#SBATCH --output=\(logs)/\(output)",
    ]
    if pinned, let mergeNode { lines.append("#SBATCH --nodelist=\(mergeNode)") }
    if let partition { lines.append("#SBATCH --partition=\(partition)") }
    if let time { lines.append("#SBATCH --time=\(time)") }
    if memory, let value = self.memory { lines.append("#SBATCH --mem=\(value)") }
    lines.append("set -euo pipefail")
    return lines
  }

  /// The plan job: `crashsift plan` on the cluster, against the long-lived workspace.
  public var planScript: String {
    (header("plan", output: "plan-%j.out", memory: false, pinned: true) + [
      "exec \(Self.quote(binary)) plan --shards \(shards) --manifest \(Self.quote(manifest)) --workspace \(Self.quote(workspace)) -o \(Self.quote(planPath))"
    ]).joined(separator: "\n") + "\n"
  }

  /// The shard array's script: one task per shard, `SLURM_ARRAY_TASK_ID` plus
  /// `CRASHSIFT_SHARD_OFFSET` naming it.
  public var shardScript: String {
    let tag = SHA256.hash(data: Data(directory.utf8)).prefix(6).map {
      String(format: "%02x", $0)
    }.joined()
    let root = scratch.map(Self.quote) ?? "\"${TMPDIR:-/tmp}\""
    let extra = (runArguments + (storeShared ? ["--store", "\(workspace)/dumps"] : [])).map(
      Self.quote
    ).joined(separator: " ")
    return
      (header("shard", output: "shard-%A_%a.out", memory: true) + [
        "index=$(( SLURM_ARRAY_TASK_ID + ${CRASHSIFT_SHARD_OFFSET:-0} ))",
        "# The shard runs in node-local scratch (SQLite wants local disk), named after this",
        "# night's plan: a shard run again on the same node resumes there; a scratch an earlier",
        "# night's shard of the same index left behind is removed.",
        "night=$(stat -c %Y \(Self.quote(planPath)))",
        "for old in \(root)/crashsift-shard-$index-\(tag)-*; do",
        "  [ \"$old\" = \(root)/crashsift-shard-$index-\(tag)-\"$night\" ] || rm -rf \"$old\"",
        "done",
        "scratch=\(root)/crashsift-shard-$index-\(tag)-\"$night\"",
        "\(Self.quote(binary)) run --plan \(Self.quote(planPath)) --workspace \"$scratch\" --quiet\(extra.isEmpty ? "" : " " + extra)",
        "# Publish the finished workspace where the merge reads it: copied beside, then moved in",
        "# place of an older copy (the merge job starts only after every shard ended).",
        "dest=\(Self.quote(shardsDirectory))/shard-$index",
        "mkdir -p \(Self.quote(shardsDirectory))",
        "rm -rf \"$dest.partial\"",
        "cp -a \"$scratch\" \"$dest.partial\"",
        "rm -rf \"$dest\"",
        "mv \"$dest.partial\" \"$dest\"",
        "rm -rf \"$scratch\"",
      ]).joined(separator: "\n") + "\n"
  }

  /// The merge job: every shard of the plan into the workspace, then the report.
  public var mergeScript: String {
    (header("merge", output: "merge-%j.out", memory: true, pinned: true) + [
      "shards=()",
      "for index in $(seq 0 \(shards - 1)); do shards+=(\(Self.quote(shardsDirectory))/shard-$index); done",
      "\(Self.quote(binary)) merge \"${shards[@]}\" --plan \(Self.quote(planPath)) --into \(Self.quote(workspace)) --manifest \(Self.quote(manifest)) --quiet",
      "exec \(Self.quote(binary)) report --manifest \(Self.quote(manifest)) --workspace \(Self.quote(workspace))",
    ]).joined(separator: "\n") + "\n"
  }

  /// The chunks of shards one array each: `[first, last]`, at most `maxArraySize` long.
  public var chunks: [ClosedRange<Int>] {
    stride(from: 0, to: shards, by: maxArraySize).map {
      $0...min($0 + maxArraySize - 1, shards - 1)
    }
  }

  /// The `sbatch` arguments of each job, in submission order, with `$PLAN` and `$ARRAYS`
  /// standing for the job ids they depend on.
  public var commands: [[String]] {
    var list: [[String]] = [["sbatch", "--parsable", "\(directory)/plan.sbatch"]]
    for chunk in chunks {
      var array = "0-\(chunk.count - 1)"
      if let maxParallel { array += "%\(maxParallel)" }
      list.append([
        "sbatch", "--parsable", "--dependency=afterok:$PLAN", "--kill-on-invalid-dep=yes",
        "--array=\(array)",
        "--export=ALL,CRASHSIFT_SHARD_OFFSET=\(chunk.lowerBound)", "\(directory)/shard.sbatch",
      ])
    }
    list.append([
      "sbatch", "--parsable", "--dependency=afterok:$ARRAYS", "--kill-on-invalid-dep=yes",
      "\(directory)/merge.sbatch",
    ])
    return list
  }

  /// Writes the scripts and `submission.json` into `directory`.
  public func write() throws {
    let manager = FileManager.default
    do {
      for folder in [directory, logs, shardsDirectory] {
        try manager.createDirectory(atPath: folder, withIntermediateDirectories: true)
      }
      for (name, text) in [
        ("plan.sbatch", planScript), ("shard.sbatch", shardScript), ("merge.sbatch", mergeScript),
      ] {
        let path = "\(directory)/\(name)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
      encoder.keyEncodingStrategy = .convertToSnakeCase
      try encoder.encode(self).write(
        to: URL(fileURLWithPath: "\(directory)/submission.json"), options: .atomic)
    } catch {
      throw ClusterError("cannot write the job scripts into \(directory): \(error)")
    }
  }

  /// The submission described by `directory/submission.json`.
  public static func load(directory: String) throws -> SlurmSubmission {
    let path = "\(directory)/submission.json"
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ClusterError("\(path) not found: is \(directory) the folder of a `slurm submit`?")
    }
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do {
      return try decoder.decode(SlurmSubmission.self, from: data)
    } catch {
      throw ClusterError("\(path) cannot be read: \(error)")
    }
  }

  /// Submits the plan job, the arrays and the merge job with `sbatch`.
  public func submit() throws -> Jobs {
    let plan = try Self.sbatch(Array(commands[0].dropFirst()))
    var arrays: [Jobs.Array] = []
    for (chunk, command) in zip(chunks, commands.dropFirst().dropLast()) {
      let arguments = command.dropFirst().map {
        $0.replacingOccurrences(of: "$PLAN", with: plan)
      }
      arrays.append(
        Jobs.Array(
          job: try Self.sbatch(arguments), firstShard: chunk.lowerBound,
          lastShard: chunk.upperBound))
    }
    let merge = try submitMerge(after: arrays.map(\.job))
    let jobs = Jobs(plan: plan, arrays: arrays, merge: merge)
    try record(jobs)
    return jobs
  }

  /// Records the job ids of a submission (`jobs.json`), so `resubmit` can wait for them.
  public func record(_ jobs: Jobs) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    do {
      try encoder.encode(jobs).write(
        to: URL(fileURLWithPath: "\(directory)/jobs.json"), options: .atomic)
    } catch {
      throw ClusterError("cannot write \(directory)/jobs.json: \(error)")
    }
  }

  /// The arrays of the last submission Slurm still has queued or running: a resubmitted
  /// shard's merge must also wait for them, or it could start while a shard still publishes.
  func arraysStillQueued() -> [String] {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    guard let data = FileManager.default.contents(atPath: "\(directory)/jobs.json"),
      let jobs = try? decoder.decode(Jobs.self, from: data)
    else { return [] }
    return jobs.arrays.map(\.job).filter { job in
      let state = (try? Self.run("squeue", ["-h", "-j", job, "-o", "%T"])) ?? ""
      return !state.isEmpty
    }
  }

  /// Submits shards `indices` again (each its own one-task array) and a merge job gated on them
  /// and on what is left of the earlier arrays: after a shard failed, the others stay published.
  public func resubmit(_ indices: [Int]) throws -> Jobs {
    var arrays: [Jobs.Array] = []
    for index in indices {
      guard index >= 0, index < shards else {
        throw ClusterError("shard \(index) is not in this submission (shards 0…\(shards - 1))")
      }
      let job = try Self.sbatch([
        "--parsable", "--array=0", "--export=ALL,CRASHSIFT_SHARD_OFFSET=\(index)",
        "\(directory)/shard.sbatch",
      ])
      arrays.append(Jobs.Array(job: job, firstShard: index, lastShard: index))
    }
    let earlier = arraysStillQueued()
    let jobs = Jobs(
      plan: nil, arrays: arrays,
      merge: try submitMerge(after: arrays.map(\.job), waitingFor: earlier))
    try record(jobs)
    return jobs
  }

  func submitMerge(after jobs: [String], waitingFor others: [String] = []) throws -> String {
    var arguments = ["--parsable", "--kill-on-invalid-dep=yes"]
    var dependency = jobs.isEmpty ? [] : ["afterok:" + jobs.joined(separator: ":")]
    if !others.isEmpty { dependency.append("afterany:" + others.joined(separator: ":")) }
    if !dependency.isEmpty { arguments.append("--dependency=" + dependency.joined(separator: ",")) }
    return try Self.sbatch(arguments + ["\(directory)/merge.sbatch"])
  }

  /// Runs `sbatch arguments…` and returns the job id it prints (`--parsable`: `id[;cluster]`).
  static func sbatch(_ arguments: [String]) throws -> String {
    let output = try run("sbatch", arguments)
    guard let id = output.split(separator: ";").first.map(String.init), !id.isEmpty,
      id.allSatisfy(\.isNumber)
    else {
      throw ClusterError("sbatch printed no job id: \(output)")
    }
    return id
  }

  /// The cluster's MaxArraySize from `scontrol show config`, nil when it cannot be read.
  public static func maxArraySize() -> Int? {
    guard let text = try? run("scontrol", ["show", "config"]) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
      return line.split(separator: "=").last.flatMap {
        Int($0.trimmingCharacters(in: .whitespaces))
      }
    }
    return nil
  }

  /// Runs a Slurm client program found on PATH; its standard output, trimmed.
  static func run(_ program: String, _ arguments: [String]) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [program] + arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do {
      try process.run()
    } catch {
      throw ClusterError("cannot run \(program): \(error); is the Slurm client installed?")
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
      throw ClusterError(
        "\(program) \(arguments.joined(separator: " ")) failed: \(String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))"
      )
    }
    return String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
  }
}
