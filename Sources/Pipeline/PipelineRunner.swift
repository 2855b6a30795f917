import Checkpoint
import Foundation
import GRDB
import Ingest
import Logging

/// Runs stages on a workspace: takes the lock, recovers from an interrupted run, records the run.
public struct PipelineRunner {
  /// Options that do not come from the manifest or pipeline file.
  public struct Options: Sendable {
    public var workspace: String?
    public var jobs: Int?
    public var progress: ProgressMode = .quiet
    public var retryFailed = false
    public var retryDeferred = false
    /// Where the worker program is; nil (or `inProcess`) runs the stages on threads.
    public var workerLaunch: WorkerLaunch?
    /// Run the per-dump stages on threads of this process even when the settings isolate them.
    public var inProcess = false
    /// The inputs to ingest instead of the manifest's (a shard of a plan); nil: the manifest's.
    public var archives: [Manifest.PlannedArchive]?
    /// Place bare dumps in the store without reading them again (`BareDump`); false streams
    /// them through the archive walker like any input (to compare the two).
    public var placeBareDumps = true

    public init() {}
  }

  public let manifest: Manifest
  public let settings: PipelineSettings
  public let options: Options
  /// Per-dump stages in order (upstream first).
  public var dumpStages: [any DumpStage] = []
  /// How `dumpStages` were built; worker processes build theirs from it. Without a recipe the
  /// stages run on threads.
  public var recipe: StageRecipe?
  let logger: Logger

  public init(manifest: Manifest, settings: PipelineSettings, options: Options, logger: Logger) {
    self.manifest = manifest
    self.settings = settings
    self.options = options
    self.logger = logger
  }

  /// The workspace in use: `--workspace`, else the manifest's `output`.
  public var workspace: Workspace { Workspace(directory: options.workspace ?? manifest.output) }

  /// Worker threads: `--jobs`, else the pipeline file, else one per core.
  public var jobs: Int {
    let configured = options.jobs ?? settings.jobs
    return configured > 0 ? configured : ProcessInfo.processInfo.activeProcessorCount
  }

  /// Runs `ingest` (when asked) then every per-dump stage in `dumpStageNames` (nil: all).
  public func run(command: String, ingest: Bool, dumpStageNames: Set<String>? = nil) throws
    -> RunSummary
  {
    let started = Date()
    let workspace = self.workspace
    let lock = try WorkspaceLock(directory: workspace.directory, command: command)
    defer { withExtendedLifetime(lock) {} }
    let database = try workspace.openDatabase()
    // Declared after the lock's, so it runs first: the file is closed before the lock goes.
    defer { try? database.close() }
    let store = try workspace.openStore()
    // Under the lock nothing else writes here: leftovers are from killed runs.
    store.removeTemporaryFiles()
    let runID = try database.write { db in
      try RunLedger.markAbandoned(db)
      return try RunLedger.start(
        db, command: command, pid: Int(getpid()), host: ProcessInfo.processInfo.hostName,
        now: Timestamp.now())
    }
    var summary = RunSummary(command: command, workspace: workspace.directory, status: "done")
    do {
      try runStages(
        &summary, database: database, store: store, ingest: ingest, dumpStageNames: dumpStageNames)
    } catch {
      // Keep what the stages committed; record why the run stopped, then report it.
      var error: any Error = error
      if let database = error as? DatabaseError, database.resultCode == .SQLITE_FULL {
        error = WorkspaceFull(
          workspace: workspace.directory,
          detail: "SQLite: \(database.message ?? "database or disk is full")")
      }
      summary.seconds = Date().timeIntervalSince(started)
      summary.status = "failed"
      summary.error = "\(error)"
      try? database.write { db in
        try RunLedger.finish(
          db, id: runID, status: "failed", summary: summary.json(), now: Timestamp.now())
      }
      throw error
    }
    summary.seconds = Date().timeIntervalSince(started)
    summary.status = summary.hasFailures ? "failed" : "done"
    try database.write { db in
      try RunLedger.finish(
        db, id: runID, status: summary.status, summary: summary.json(), now: Timestamp.now())
    }
    return summary
  }

  private func runStages(
    _ summary: inout RunSummary, database: CheckpointDatabase, store: DumpStore, ingest: Bool,
    dumpStageNames: Set<String>?
  ) throws {
    if ingest {
      let (archives, warnings) =
        try options.archives.map { ($0, [String]()) } ?? manifest.plannedArchives()
      summary.warnings += warnings
      for warning in warnings { logger.warning("\(warning)") }
      var stage = IngestStage(
        database: database, store: store, limits: settings.limits, jobs: jobs,
        progress: options.progress, logger: logger, retryFailed: options.retryFailed)
      stage.sourcesImmutable = manifest.sourcesImmutable
      stage.placeBareDumps = options.placeBareDumps
      summary.ingest = try stage.run(archives: archives)
    }
    if !dumpStages.isEmpty {
      var runner = DumpStageRunner(
        database: database, store: store, stages: dumpStages, jobs: jobs,
        progress: options.progress,
        logger: logger, maxAttempts: settings.maxAttempts, retryFailed: options.retryFailed,
        retryDeferred: options.retryDeferred)
      if settings.isolateWorkers, !options.inProcess, options.workerLaunch == nil, recipe != nil {
        // Asked for isolation but cannot have it (no /proc): say so, loudly, and use threads.
        let warning =
          "worker isolation is unavailable here (no /proc/self/exe); the stages run on threads, so a dump that crashes a reader stops the run"
        logger.warning("\(warning)")
        summary.warnings.append(warning)
      }
      if settings.isolateWorkers, !options.inProcess, let launch = options.workerLaunch,
        let recipe
      {
        runner.supervisor = WorkerSupervisor(
          launch: launch,
          setup: WorkerSetup(
            workspace: workspace.directory, recipe: recipe,
            memoryLimitBytes: settings.workerLimits.memoryLimitBytes),
          limits: settings.workerLimits, count: jobs, logger: logger)
      }
      defer { runner.supervisor?.shutdown() }
      let stale = try runner.invalidateStale()
      var summaries = dumpStages.map { StageSummary(name: $0.name, version: $0.version) }
      for index in summaries.indices { summaries[index].stale = stale[summaries[index].name] ?? 0 }
      let selected = dumpStages.indices.filter {
        dumpStageNames == nil || dumpStageNames?.contains(dumpStages[$0].name) == true
      }
      try runner.wakeDeferred(stagesAt: selected, summaries: &summaries)
      // After the claims exhausted by killed runs were failed and the deferred woken: those
      // are retried on request; what the passes record from here on is this run's own.
      let passesStarted = Timestamp.now()
      for index in selected {
        // A pass takes its dumps on through the selected stages that follow it directly; each
        // later stage's own pass then finds only what the hand-off left (deferred retries,
        // dumps whose earlier stage was done before this run).
        var last = index
        while settings.handOff, selected.contains(last + 1) { last += 1 }
        try runner.run(
          stageAt: index, through: last, passesStarted: passesStarted, summaries: &summaries)
      }
      summary.stages = selected.map { summaries[$0] }
    }
  }
}
