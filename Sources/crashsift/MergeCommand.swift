import ArgumentParser
import Cluster
import Foundation
import Interface
import Pipeline

/// `crashsift merge`: shard workspaces into the workspace the reports read.
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Merge shard workspaces into the long-lived workspace.",
    discussion: """
      Brings the shards that `crashsift run --plan … --shard I` made into the workspace: dumps \
      by content hash (a dump two shards saw appears once, with both occurrences; its bytes are \
      hard-linked, else copied, into the workspace's store), archives, stage rows with their \
      output, failures and the shards' runs. The result does not depend on the order of the \
      shards or on how the inputs were split; merging a shard again changes nothing (shards are \
      recorded by the digest of their database in merged_shards); a merge killed part-way is \
      finished by running it again. A shard made by another crashsift or other rules is \
      refused unless --rerun-stale, which takes its rows and redoes its stale stages here. Then \
      `crashsift report` reads the workspace as after a single-machine run (docs/cluster.md).

      Examples:
        crashsift merge /scratch/shard-* --into /srv/crash/out
        crashsift merge shards/3 --into out --json
      """)

  @Argument(help: "Shard workspaces (each made by `crashsift run --plan … --workspace DIR`).")
  var shards: [String]

  @Option(name: .long, help: "The workspace to merge into (default: the manifest's \"output\").")
  var into: String?

  @Flag(
    name: .long,
    help: "Take shards made by another crashsift or rules, and redo their stale stages here.")
  var rerunStale = false

  @Option(name: .long, help: "Take only shards of this plan (crashsift plan), refuse others.")
  var plan: String?

  @OptionGroup var common: CommonOptions

  func run() throws {
    guard !shards.isEmpty else { throw ValidationError("give the shard workspaces to merge") }
    let runner = try common.makeRunner(workspace: into ?? common.workspace)
    var planDigest: String?
    do {
      planDigest = try plan.map { try ShardPlan.load(path: $0).digest }
    } catch let error as ClusterError {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(2)
    }
    let versions = VersionInfo.current(recipe: runner.recipe)
    let merge = WorkspaceMerge(
      target: runner.workspace,
      stages: runner.dumpStages.map {
        WorkspaceMerge.Stage(name: $0.name, version: $0.version, outputTables: $0.outputTables)
      }, versions: versions, rerunStale: rerunStale, planDigest: planDigest)
    let summary: WorkspaceMerge.Summary
    do {
      summary = try merge.merge(shards)
    } catch let error as ClusterError {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(2)
    }
    // The workspace's stages then run as after a single run: rows a shard left pending or stale
    // (another crashsift's, with --rerun-stale), rows the merge removed because their upstream
    // changed, older nights' rows made stale by new rules, deferred dumps whose symbols arrived.
    // Nothing to do is a no-op; nothing merged runs nothing, so merging again changes nothing.
    var stageRun: RunSummary?
    if summary.shards.contains(where: { $0.status == "merged" }) {
      stageRun = try runner.run(command: "merge: stages", ingest: false)
    }
    if common.json {
      print(try JSONOutput.text(summary, schema: .merge, versions: versions, snakeCase: true))
    } else {
      for shard in summary.shards {
        print(
          "\(shard.path): shard \(shard.shardIndex), \(shard.status): \(shard.dumpsAdded) new dumps, \(shard.dumpsKnown) already known, \(shard.stageRowsTaken) stage rows taken"
            + (shard.staleStageRows > 0 ? ", \(shard.staleStageRows) stale" : ""))
      }
      if !common.quiet {
        FileHandle.standardError.write(
          Data(
            "merged into \(summary.workspace) in \(String(format: "%.1f", summary.seconds)) s; `crashsift report` writes the report\n"
              .utf8))
      }
    }
    // Dumps that failed in the stage run exit 1, as after `crashsift run`, with or without --json.
    if let stageRun, stageRun.hasFailures {
      if !common.json { try? common.finish(stageRun, recipe: runner.recipe) }
      throw ExitCode(1)
    }
  }
}
