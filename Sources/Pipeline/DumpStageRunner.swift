import Checkpoint
import Foundation
import GRDB
import Ingest
import Logging

/// Runs per-dump stages in order over the dumps that need them.
///
/// Work is claimed in chunks (`claim` marks rows `running` and counts the attempt, committed
/// before the work starts), processed on the worker pool, and committed by the calling thread in
/// small transactions. A run killed mid-chunk leaves `running` rows that the next run redoes; a
/// dump abandoned `maxAttempts` times (it probably kills the process) is marked failed instead.
public struct DumpStageRunner {
  let database: CheckpointDatabase
  let store: DumpStore
  /// All stages, in pipeline order (upstream first).
  let stages: [any DumpStage]
  let jobs: Int
  let progress: ProgressMode
  let logger: Logger
  var maxAttempts = 3
  var retryFailed = false
  var retryDeferred = false
  /// Dumps claimed and processed per round; a kill loses at most this much work.
  var chunkSize = 256
  /// Worker processes to run stages in; nil runs them on threads of this process.
  var supervisor: WorkerSupervisor?

  public init(
    database: CheckpointDatabase, store: DumpStore, stages: [any DumpStage], jobs: Int,
    progress: ProgressMode, logger: Logger, maxAttempts: Int = 3, retryFailed: Bool = false,
    retryDeferred: Bool = false
  ) {
    self.database = database
    self.store = store
    self.stages = stages
    self.jobs = jobs
    self.progress = progress
    self.logger = logger
    self.maxAttempts = maxAttempts
    self.retryFailed = retryFailed
    self.retryDeferred = retryDeferred
  }

  /// Marks stale rows of every stage (and their downstream rows) pending.
  public func invalidateStale() throws -> [String: Int] {
    var stale: [String: Int] = [:]
    try database.write { db in
      for (index, stage) in stages.enumerated() {
        try stage.prepare(db)
        let downstream = stages[(index + 1)...].map(\.name)
        stale[stage.name] = try StageLedger.invalidateStale(
          db, stage: stage.name, version: stage.version, downstream: downstream,
          now: Timestamp.now())
        try StageLedger.failExhausted(
          db, stage: stage.name, maxAttempts: maxAttempts, now: Timestamp.now())
      }
    }
    return stale
  }

  /// Runs the stage at `index` to completion.
  public func run(stageAt index: Int, stale: Int = 0) throws -> StageSummary {
    let stage = stages[index]
    let downstream = stages[(index + 1)...].map(\.name)
    let upstream = index > 0 ? stages[index - 1].name : nil
    var summary = StageSummary(name: stage.name, version: stage.version)
    summary.stale = stale
    let started = Date()
    if !retryDeferred { summary.retriedDeferred = try stage.wakeDeferred(database) }
    let total = try database.read { db in
      try StageLedger.work(
        db, stage: stage.name, version: stage.version, upstream: upstream, retryFailed: retryFailed,
        retryDeferred: retryDeferred
      ).count
    }
    let reporter = ProgressReporter(
      mode: progress, stage: stage.name, total: Int64(total), unit: "dumps")
    // Claims `chunk`, processes it on the worker pool and commits the results in small
    // transactions.
    func process(_ chunk: [WorkItem]) throws {
      try database.write { db in
        try StageLedger.claim(
          db, dumps: chunk.map(\.dumpSHA256), stage: stage.name, version: stage.version,
          now: Timestamp.now())
      }
      FaultInjection.hit("\(stage.name)-claim")
      var pending: [(WorkItem, StageResult)] = []
      let store = self.store
      let database = self.database
      func commit() throws {
        let results = pending
        pending.removeAll(keepingCapacity: true)
        // Counted from what was committed: a result whose rows fail to insert becomes a failure.
        let outcomes = try database.write { db -> [StageStatus] in
          var outcomes: [StageStatus] = []
          // One time for the transaction: its rows are committed together.
          let now = Timestamp.now()
          let outputTables = Set(stage.outputTables)
          for (item, result) in results {
            for table in stage.outputTables {
              // Cached: compiling the same statement for every dump cost more than running it.
              try db.cachedStatement(sql: "DELETE FROM \(table) WHERE dump_sha256 = ?")
                .execute(arguments: [item.dumpSHA256])
            }
            var outcome = result.outcome
            // Table names reach SQL text; from a worker they crossed a pipe, so only the stage's
            // own output tables are accepted.
            if let foreign = result.tables.first(where: { !outputTables.contains($0.table) }) {
              outcome = StageOutcome(
                status: .failed,
                error: "the result names table \(foreign.table), not one of \(stage.name)'s")
            } else {
              do {
                // A savepoint, so rows written before a failing insert do not survive it.
                try db.inSavepoint {
                  try result.write(db)
                  return .commit
                }
              } catch {
                outcome = StageOutcome(
                  status: .failed, error: "could not store the result: \(error)")
              }
            }
            try StageLedger.record(
              db, dump: item.dumpSHA256, stage: stage.name, version: stage.version,
              outcome: outcome,
              downstream: downstream, now: now)
            outcomes.append(outcome.status)
          }
          return outcomes
        }
        for status in outcomes {
          switch status {
          case .done: summary.done += 1
          case .failed: summary.failed += 1
          case .deferred: summary.deferred += 1
          case .pending, .running: break
          }
        }
        FaultInjection.hit("\(stage.name)-commit")
      }
      func collect(_ item: WorkItem, _ result: StageResult) throws {
        pending.append((item, result))
        summary.processed += 1
        if pending.count >= 64 { try commit() }
        reporter.update(
          done: Int64(summary.processed), detail: "\(summary.processed)/\(total) dumps")
      }
      if let supervisor {
        try supervisor.process(items: chunk, stage: index, stageName: stage.name, consume: collect)
      } else {
        try WorkerPool.run(items: chunk, jobs: jobs) {
          (item, context: WorkerPool.Context<(WorkItem, StageResult)>) in
          let result = Self.process(
            item, stage: stage, path: store.path(sha256: item.dumpSHA256), database: database)
          try? context.emit((item, result))
        } consume: { (item, result) in
          try collect(item, result)
        }
      }
      if !pending.isEmpty { try commit() }
    }
    // Keyset paging by sha256: rows this run claimed or retried are never picked up again.
    var cursor: String?
    while true {
      let items = try database.read { db in
        try StageLedger.work(
          db, stage: stage.name, version: stage.version, upstream: upstream,
          retryFailed: retryFailed,
          retryDeferred: retryDeferred, after: cursor,
          limit: chunkSize)
      }
      guard let last = items.last else { break }
      cursor = last.dumpSHA256
      // Dumps whose earlier claim ended in a killed process are redone one at a time: a kill
      // then counts against the one dump in flight only, so `maxAttempts` finds the dump that
      // really kills the process instead of failing the 255 innocent dumps of its chunk.
      for suspect in items where suspect.attempts > 0 { try process([suspect]) }
      let fresh = items.filter { $0.attempts == 0 }
      if !fresh.isEmpty { try process(fresh) }
    }
    summary.seconds = Date().timeIntervalSince(started)
    reporter.finish(
      detail:
        "\(summary.processed) dumps (\(summary.done) done, \(summary.failed) failed, \(summary.deferred) deferred)"
    )
    return summary
  }

  /// One dump through one stage: the test hooks, the stage's upstream read, its work; an error
  /// becomes a failed result. Runs on a worker thread or in a worker process.
  static func process(
    _ item: WorkItem, stage: any DumpStage, path: String, database: CheckpointDatabase?
  ) -> StageResult {
    FaultInjection.poison(item.dumpSHA256)
    var input = DumpStageInput(item: item, path: path)
    do {
      if let database {
        input.upstream = try database.read { db in try stage.load(db, dump: item.dumpSHA256) }
      }
      return try stage.process(input)
    } catch {
      return .failed("\(error)")
    }
  }
}
