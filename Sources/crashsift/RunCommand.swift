import ArgumentParser
import Checkpoint
import Cluster
import Foundation
import Interface
import Pipeline
import Reports

/// `crashsift run`: every stage in order.
struct RunCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Run every stage on the manifest's archives, then write the report.",
    discussion: """
      Ingest, parse, symbolize (walk and name the crashing stack through the manifest's \
      symbol_path or $_NT_SYMBOL_PATH), bucket, then write the report into <workspace>/report \
      (as `crashsift report`; --no-report skips it). Resumable: stop it at any moment (even kill -9) and run it again. Only \
      new archives and dumps whose results are missing or stale are processed; a dump waiting for \
      symbols is redone once the module it waits for is found.

      Examples:
        crashsift run
        crashsift run --manifest /srv/crash/manifest.json --workspace /srv/crash/out --json
        crashsift run --fail-on regressed,new || notify-team out/report/digest.md
        crashsift run --plan plan.json --shard 3 --workspace /scratch/shard-3

      With --plan, only the inputs of one shard of a plan (`crashsift plan`) are run, into \
      --workspace (the shard's own, on local disk), without a report; `crashsift merge` brings \
      the shards into the workspace the reports read. The shard comes from --shard, else \
      SLURM_ARRAY_TASK_ID (Slurm job arrays), else JOB_COMPLETION_INDEX (Kubernetes Indexed \
      Jobs). A shard run exits 0 once its stages finished, even when some dumps failed (their \
      rows travel to the merge); docs/cluster.md.
      """)

  @OptionGroup var common: CommonOptions

  @Option(name: .long, help: "Run one shard of this plan (crashsift plan) instead of the manifest.")
  var plan: String?

  @Option(
    name: .long,
    help:
      "With --plan: the shard to run (default: $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX).")
  var shard: Int?

  @Option(
    name: .long,
    help:
      "With --plan: keep the shard's dumps in this store shared by every shard (e.g. <workspace>/dumps on a shared filesystem); the merge then moves only records."
  )
  var store: String?

  @Flag(name: .long, help: "Do not write the report after the stages.")
  var noReport = false

  @Option(
    name: .long,
    help: """
      Exit with status 3 when the report lists one of these alerts (comma-separated: \
      \(Alert.Kind.allCases.map(\.rawValue).joined(separator: ", "))), even if some items \
      failed; for cron jobs. The alerts are in <workspace>/report/alerts.json and digest.md.
      """)
  var failOn: String?

  func validate() throws {
    _ = try ReportCommand.alertKinds(failOn)
    if failOn != nil && noReport {
      throw ValidationError("--fail-on needs the report: drop --no-report")
    }
  }

  func run() throws {
    if let plan {
      try runShard(planPath: plan)
      return
    }
    if shard != nil { throw ValidationError("--shard needs --plan") }
    if store != nil { throw ValidationError("--store needs --plan") }
    let failKinds = try ReportCommand.alertKinds(failOn)
    let runner = try common.makeRunner()
    // A mistake in annotations.json fails now, not after the night's stages.
    let annotations =
      noReport
      ? Annotations()
      : try ReportCommand.annotations(settings: runner.settings, manifest: runner.manifest)
    let summary = try runner.run(command: "run", ingest: true)
    var alerts: [Alert] = []
    // The report shows failures too, so it is written whether or not some items failed; not
    // after a run that stopped early (disk full, database error), whose data is incomplete.
    var reportError: String?
    if !noReport && summary.error == nil {
      do {
        let written = try ReportCommand.write(
          manifest: runner.manifest, workspace: summary.workspace,
          versions: .current(recipe: runner.recipe), annotations: annotations)
        alerts = written.report.alerts
        if !common.quiet && !common.json {
          FileHandle.standardError.write(
            Data(
              "report: \(summary.workspace)/report/index.html (\(written.report.buckets.count) buckets)\n"
                .utf8))
        }
      } catch {
        reportError = "report: not written: \(error)"
      }
    }
    if let reportError {
      FileHandle.standardError.write(Data((reportError + "\n").utf8))
      try? common.finish(summary, recipe: runner.recipe)
      throw ExitCode(1)
    }
    do {
      try common.finish(summary, recipe: runner.recipe)
    } catch {
      // Failed items exit 1 unless an alert asked for by --fail-on is present.
      try ReportCommand.failIfAlerted(alerts, kinds: failKinds)
      throw error
    }
    try ReportCommand.failIfAlerted(alerts, kinds: failKinds)
  }

  /// `--plan`: one shard's inputs into its own workspace, stamped for `merge`.
  func runShard(planPath: String) throws {
    guard failOn == nil else {
      throw ValidationError("--fail-on needs the report: a shard has none")
    }
    let plan: ShardPlan
    let selection: ShardSelection
    do {
      plan = try ShardPlan.load(path: planPath)
      selection = try ShardSelection.resolve(
        explicit: shard, environment: ProcessInfo.processInfo.environment,
        shardCount: plan.shards.count)
    } catch let error as ClusterError {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(2)
    }
    guard let workspace = common.workspace else {
      throw ValidationError(
        "--plan needs --workspace DIR: the shard's own workspace, on local disk (merge brings it into \(plan.workspace))"
      )
    }
    let inputs = plan.shards[selection.index].inputs
    let archives = inputs.map {
      Manifest.PlannedArchive(path: $0.path, batch: $0.batch, build: $0.build)
    }
    let runner = try common.makeRunner(
      manifestPath: plan.manifest, archives: archives, workspace: workspace)
    let bytes = plan.shards[selection.index].bytes
    if !common.quiet {
      FileHandle.standardError.write(
        Data(
          "shard \(selection.index) of \(plan.shards.count) (from \(selection.source)): \(inputs.count) inputs, \(bytes) bytes, plan \(plan.digest.prefix(12))\n"
            .utf8))
    }
    if let store {
      do {
        try Workspace(directory: workspace).linkStore(to: store)
      } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(2)
      }
    }
    do {
      try ShardStamp(
        plan: plan, planPath: URL(fileURLWithPath: planPath).standardized.path,
        index: selection.index, versions: .current(recipe: runner.recipe)
      ).write(to: workspace)
    } catch let error as ClusterError {
      FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
      throw ExitCode(2)
    }
    FaultInjection.shard(selection.index)
    let summary = try runner.run(command: "run --shard \(selection.index)", ingest: true)
    // Failed dumps are rows the merge carries; only a run that stopped early fails the shard.
    do {
      try common.finish(summary, recipe: runner.recipe)
    } catch let exit as ExitCode where exit == ExitCode(1) && summary.error == nil {
      return
    }
  }
}
