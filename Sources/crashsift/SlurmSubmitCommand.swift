import ArgumentParser
import Cluster
import Foundation
import Pipeline

/// `crashsift slurm submit`.
struct SlurmSubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Write and submit the plan job, the shard arrays and the merge-and-report job.",
    discussion: """
      Writes plan.sbatch, shard.sbatch, merge.sbatch and submission.json into --dir (a folder \
      every node sees; default <workspace>/cluster) and submits them with sbatch: the plan job \
      (`crashsift plan`), the shards as job arrays after it (--dependency=afterok; several \
      arrays when N exceeds the cluster's MaxArraySize, each passing its first shard as \
      CRASHSIFT_SHARD_OFFSET), and the merge-and-report job after every array, which Slurm \
      cancels if a shard fails (--kill-on-invalid-dep=yes). Each shard runs `crashsift run \
      --plan` in node-local scratch, then publishes its workspace to <dir>/shards/shard-I. \
      Prints the job ids; --dry-run prints the scripts and the sbatch commands instead. After a \
      failed shard: `crashsift slurm resubmit --dir DIR --shards I` (docs/cluster.md).

      Examples:
        crashsift slurm submit --shards 64 --partition batch --time 02:00:00 --mem 4G
        crashsift slurm submit --shards 4 --manifest /srv/crash/manifest.json --dry-run
      """)

  @Option(name: .long, help: "The number of shards.")
  var shards: Int

  @Option(name: .long, help: "The corpus manifest (docs/manifest.md).")
  var manifest = "corpus-manifest.json"

  @Option(name: .long, help: "The long-lived workspace (default: the manifest's \"output\").")
  var workspace: String?

  @Option(
    name: .long,
    help: "Folder for scripts, plan, logs and published shards (default: <workspace>/cluster).")
  var dir: String?

  @Option(name: .long, help: "Slurm partition of every job.")
  var partition: String?

  @Option(name: .long, help: "Time limit of every job (sbatch --time, e.g. 02:00:00).")
  var time: String?

  @Option(name: .long, help: "Memory of each shard and of the merge (sbatch --mem, e.g. 4G).")
  var mem: String?

  @Option(name: .long, help: "Node-local scratch for running shards (default: $TMPDIR, else /tmp).")
  var scratch: String?

  @Option(name: .long, help: "At most this many shards of an array at once.")
  var maxParallel: Int?

  @Option(name: .long, help: "Tasks per array (default: the cluster's MaxArraySize).")
  var maxArraySize: Int?

  @Option(
    name: .long, help: "The crashsift executable the jobs run (default: this one).")
  var binary: String?

  @Flag(name: .long, help: "Shards do not ask symbol servers (crashsift run --offline).")
  var offline = false

  @Flag(
    name: .long,
    help:
      "Shards write dumps straight into <workspace>/dumps (a shared filesystem): only records move."
  )
  var storeShared = false

  @Option(
    name: .long,
    help:
      "Run the plan and merge jobs on this node (--nodelist): the one whose disk holds the workspace."
  )
  var mergeNode: String?

  @Flag(name: .long, help: "Print the scripts and sbatch commands; submit nothing.")
  var dryRun = false

  @Flag(name: .long, help: "Print the job ids as JSON.")
  var json = false

  func run() throws {
    let loaded = try Manifest.load(path: manifest)
    let absolute = { (path: String) in URL(fileURLWithPath: path).standardized.path }
    let target = absolute(workspace ?? loaded.output)
    let submission = SlurmSubmission(
      shards: shards, manifest: absolute(manifest), workspace: target,
      directory: absolute(dir ?? "\(target)/cluster"),
      binary: absolute(binary ?? Self.executable()), partition: partition, time: time,
      memory: mem, scratch: scratch, maxParallel: maxParallel,
      maxArraySize: maxArraySize ?? (dryRun ? nil : SlurmSubmission.maxArraySize()) ?? 1001,
      runArguments: offline ? ["--offline"] : [], storeShared: storeShared, mergeNode: mergeNode)
    if let problem = submission.problem { throw ValidationError(problem) }
    if dryRun {
      Swift.print("# \(submission.directory)/plan.sbatch\n\(submission.planScript)")
      Swift.print("# \(submission.directory)/shard.sbatch\n\(submission.shardScript)")
      Swift.print("# \(submission.directory)/merge.sbatch\n\(submission.mergeScript)")
      Swift.print("# submitted with:")
      for command in submission.commands { print(command.joined(separator: " ")) }
      return
    }
    let jobs: SlurmSubmission.Jobs
    do {
      try submission.write()
      jobs = try submission.submit()
    } catch let error as ClusterError {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(1)
    }
    try Self.show(jobs, json: json, directory: submission.directory)
  }

  /// This executable's path.
  static func executable() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
      ?? CommandLine.arguments[0]
  }

  static func show(_ jobs: SlurmSubmission.Jobs, json: Bool, directory: String) throws {
    if json {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      encoder.keyEncodingStrategy = .convertToSnakeCase
      Swift.print(String(decoding: try encoder.encode(jobs), as: UTF8.self))
      return
    }
    if let plan = jobs.plan { Swift.print("plan job \(plan)") }
    for array in jobs.arrays {
      Swift.print("shard array \(array.job): shards \(array.firstShard)…\(array.lastShard)")
    }
    Swift.print("merge and report job \(jobs.merge)")
    Swift.print("logs: \(directory)/logs")
  }
}
