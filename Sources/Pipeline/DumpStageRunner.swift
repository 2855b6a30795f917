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

  /// Runs the stage at `index` to completion, each dump it processes going on through the
  /// stages up to `last` on the same worker (the hand-off): a stage's rows reach the next stage
  /// in memory instead of through the checkpoint, the dump's pages are still hot, and the writer
  /// commits the dump's stages in one transaction. Each stage's rows are written and recorded
  /// exactly as when it runs alone, so resuming and stage versions are unchanged. A dump whose
  /// earlier claim ended in a killed process runs this stage alone, so a second death is blamed
  /// on the right stage. Counts go to `summaries` (indexed like `stages`). `passesStarted` (a
  /// `Timestamp` taken after `invalidateStale` and `wakeDeferred`, before the first pass): the
  /// `failed` and `deferred` rows recorded after it are this run's own (an earlier pass's
  /// hand-off recorded them), never retried again in the same run.
  public func run(
    stageAt index: Int, through last: Int, passesStarted: String, summaries: inout [StageSummary]
  ) throws {
    let stage = stages[index]
    let last = max(index, min(last, stages.count - 1))
    let upstream = index > 0 ? stages[index - 1].name : nil
    let clock = Date()
    let total = try database.read { db in
      try StageLedger.work(
        db, stage: stage.name, version: stage.version, upstream: upstream, retryFailed: retryFailed,
        retryDeferred: retryDeferred, recordedBefore: passesStarted
      ).count
    }
    let label = stages[index...last].map(\.name).joined(separator: "+")
    let reporter = ProgressReporter(
      mode: progress, stage: label, total: Int64(total), unit: "dumps")
    var processed = 0
    var pending: [(WorkItem, [StageResult])] = []
    let store = self.store
    let database = self.database
    let stages = self.stages
    // Commits the results collected so far in one transaction: each dump's stages in order.
    func commit(through: Int) throws {
      let results = pending
      pending.removeAll(keepingCapacity: true)
      // Counted from what was committed: a result whose rows fail to insert becomes a failure.
      let outcomes = try database.write { db -> [(Int, StageStatus)] in
        var outcomes: [(Int, StageStatus)] = []
        // One time for the transaction: its rows are committed together.
        let now = Timestamp.now()
        for (item, chain) in results {
          for (offset, result) in chain.enumerated() where index + offset <= through {
            let position = index + offset
            let status = try Self.store(
              result, of: item, stage: stages[position],
              downstream: stages[(position + 1)...].map(\.name), db: db, now: now)
            outcomes.append((position, status))
            // The next stage's input is what this one stored: nothing stored, nothing to
            // build on (its state stays pending, and its own pass redoes it).
            if !Self.feedsDownstream(status) { break }
          }
        }
        return outcomes
      }
      var committed = Set<Int>()
      for (position, status) in outcomes {
        committed.insert(position)
        if position > index { summaries[position].handedOff += 1 }
        summaries[position].processed += 1
        switch status {
        case .done: summaries[position].done += 1
        case .failed: summaries[position].failed += 1
        case .deferred: summaries[position].deferred += 1
        case .pending, .running: break
        }
      }
      for position in committed.sorted() { FaultInjection.hit("\(stages[position].name)-commit") }
    }
    // Processes the dumps `next` hands out, each through the stages up to `through`, until it
    // hands out none; commits the results in small transactions as they come.
    func stream(through: Int, _ next: () throws -> [WorkItem]) throws {
      func collect(_ item: WorkItem, _ chain: [StageResult]) throws {
        pending.append((item, chain))
        processed += 1
        if pending.count >= 64 { try commit(through: through) }
        reporter.update(done: Int64(processed), detail: "\(processed)/\(total) dumps")
      }
      if let supervisor {
        // The supervisor asks for the next chunk while the workers still have work, so they
        // never wait for a chunk's last dump, its commit and the next claim.
        try supervisor.process(
          stage: index, through: through, stageNames: stages[index...through].map(\.name),
          next: next, consume: collect)
      } else {
        let chain = Array(stages[index...through])
        while case let chunk = try next(), !chunk.isEmpty {
          try WorkerPool.run(items: chunk, jobs: jobs) {
            (item, context: WorkerPool.Context<(WorkItem, [StageResult])>) in
            var results: [StageResult] = []
            Self.process(
              item, chain: chain[...], path: store.path(sha256: item.dumpSHA256),
              database: database
            ) { result, _ in
              results.append(result)
              return true
            }
            try? context.emit((item, results))
          } consume: { (item, results) in
            try collect(item, results)
          }
        }
      }
      if !pending.isEmpty { try commit(through: through) }
    }
    // Claims `chunk` before its work starts (the attempt is counted and committed).
    func claim(_ chunk: [WorkItem], through: Int) throws {
      try database.write { db in
        try StageLedger.claim(
          db, dumps: chunk.map(\.dumpSHA256), stage: stage.name, version: stage.version,
          now: Timestamp.now())
      }
      // A claim of the first stage is the claim of the dump's pass through all of them.
      for name in stages[index...through].map(\.name) { FaultInjection.hit("\(name)-claim") }
    }
    // Keyset paging by sha256: rows this run claimed or retried are never picked up again.
    var cursor: String?
    var suspects: [WorkItem] = []
    try stream(through: last) {
      while true {
        let items = try database.read { db in
          try StageLedger.work(
            db, stage: stage.name, version: stage.version, upstream: upstream,
            retryFailed: retryFailed, retryDeferred: retryDeferred, recordedBefore: passesStarted,
            after: cursor, limit: chunkSize)
        }
        guard let lastItem = items.last else { return [] }
        cursor = lastItem.dumpSHA256
        // Dumps whose earlier claim ended in a killed process are redone afterwards, through
        // this stage only.
        suspects += items.filter { $0.attempts > 0 }
        let firstTry = items.filter { $0.attempts == 0 }
        if firstTry.isEmpty { continue }
        try claim(firstTry, through: last)
        return firstTry
      }
    }
    if supervisor != nil {
      // Worker processes: a dump that kills its worker is caught and blamed alone, so the
      // suspects go side by side, a chunk at a time.
      var rest = suspects[...]
      try stream(through: index) {
        let chunk = Array(rest.prefix(chunkSize))
        rest = rest.dropFirst(chunk.count)
        if !chunk.isEmpty { try claim(chunk, through: index) }
        return chunk
      }
    } else {
      // Threads: a dump that kills this process takes every claim in flight with it, so each
      // suspect goes alone and a repeated kill counts against that one dump only (`maxAttempts`
      // finds the dump that really kills the process, not the innocent ones of its chunk).
      for suspect in suspects {
        var handed = false
        try stream(through: index) {
          if handed { return [] }
          handed = true
          try claim([suspect], through: index)
          return [suspect]
        }
      }
    }
    summaries[index].seconds += Date().timeIntervalSince(clock)
    let head = summaries[index]
    reporter.finish(
      detail:
        "\(head.processed) dumps (\(head.done) done, \(head.failed) failed, \(head.deferred) deferred)"
    )
  }

  /// Marks `pending` the deferred dumps of the stages at `indices` whose missing input may have
  /// appeared (`DumpStage.wakeDeferred`), before any pass: a pass's hand-off must not defer a
  /// dump that a later stage's wake-up then asks about again in the same run.
  public func wakeDeferred(stagesAt indices: [Int], summaries: inout [StageSummary]) throws {
    guard !retryDeferred else { return }
    for index in indices {
      summaries[index].retriedDeferred += try stages[index].wakeDeferred(database)
    }
  }

  /// Whether `name` is a plain SQL identifier (lower-case letters, digits, underscores), as every
  /// column of every stage is.
  static func isColumnName(_ name: String) -> Bool {
    guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
    else { return false }
    return name.utf8.allSatisfy {
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_")
    }
  }

  /// Whether the stage after one that ended with `status` runs on its output (as the work query
  /// lets it: a deferred stage's rows are still the best input there is).
  static func feedsDownstream(_ status: StageStatus) -> Bool {
    status == .done || status == .deferred
  }

  /// Replaces the dump's rows of `stage` with `result`'s and records the outcome; returns the
  /// status recorded (a failure when the rows could not be stored). Runs in the writer's
  /// transaction.
  static func store(
    _ result: StageResult, of item: WorkItem, stage: any DumpStage, downstream: [String],
    db: Database, now: String
  ) throws -> StageStatus {
    // A fresh dump has no rows of this stage or any later one (`WorkItem.fresh`): nothing to
    // delete, no later state to reset. That is 12 statements a dump of a first run.
    for table in stage.outputTables where !item.fresh {
      // Cached: compiling the same statement for every dump cost more than running it.
      try db.cachedStatement(sql: "DELETE FROM \(table) WHERE dump_sha256 = ?")
        .execute(arguments: [item.dumpSHA256])
    }
    var outcome = result.outcome
    // Table names reach SQL text; from a worker they crossed a pipe, so only the stage's own
    // output tables are accepted.
    if let foreign = result.tables.first(where: { !stage.outputTables.contains($0.table) }) {
      outcome = StageOutcome(
        status: .failed,
        error: "the result names table \(foreign.table), not one of \(stage.name)'s")
    } else if let odd = result.tables.lazy.flatMap(\.columns).first(where: {
      !Self.isColumnName($0)
    }) {
      // Column names reach SQL text too.
      outcome = StageOutcome(
        status: .failed, error: "the result names a column \(odd.debugDescription)")
    } else {
      do {
        // A savepoint, so rows written before a failing insert do not survive it.
        try db.inSavepoint {
          try result.write(db)
          return .commit
        }
      } catch {
        outcome = StageOutcome(status: .failed, error: "could not store the result: \(error)")
      }
    }
    try StageLedger.record(
      db, dump: item.dumpSHA256, stage: stage.name, version: stage.version, outcome: outcome,
      downstream: item.fresh ? [] : downstream, now: now)
    return outcome.status
  }

  /// One dump through `chain` (consecutive stages, upstream first): each stage gets the rows of
  /// the ones before it in memory; the chain stops after the first result that does not feed
  /// downstream. `emit` gets each result as soon as it is ready, with whether it is the dump's
  /// last; it returns false to stop. Runs on a worker thread or in a worker process.
  static func process(
    _ item: WorkItem, chain: ArraySlice<any DumpStage>, path: String,
    database: CheckpointDatabase?, emit: (StageResult, _ last: Bool) -> Bool
  ) {
    var handedOff: [String: [StageRows]] = [:]
    let dump = OpenedDump(path: path)
    for position in chain.indices {
      let stage = chain[position]
      let result = process(
        item, stage: stage, dump: dump, database: database, handedOff: handedOff)
      let last =
        position == chain.index(before: chain.endIndex)
        || !feedsDownstream(result.outcome.status)
      guard emit(result, last), !last else { return }
      // Every output table of the stage is now known for this dump, filled or not.
      for table in stage.outputTables { handedOff[table] = [] }
      for rows in result.tables { handedOff[rows.table, default: []].append(rows) }
    }
  }

  /// One dump through one stage: the test hooks, the stage's upstream read (from `handedOff`,
  /// then the checkpoint), its work; an error becomes a failed result.
  static func process(
    _ item: WorkItem, stage: any DumpStage, dump: OpenedDump, database: CheckpointDatabase?,
    handedOff: [String: [StageRows]] = [:]
  ) -> StageResult {
    FaultInjection.poison(item.dumpSHA256, stage: stage.name)
    var input = DumpStageInput(item: item, dump: dump)
    do {
      let needed = stage.inputTables
      if needed.isEmpty {
        // Reads nothing upstream: no read transaction.
      } else if needed.allSatisfy({ handedOff[$0] != nil }) {
        input.upstream = try stage.load(
          UpstreamRows(dump: item.dumpSHA256, handedOff: handedOff, db: nil))
      } else if let database {
        input.upstream = try database.read { db in
          try stage.load(UpstreamRows(dump: item.dumpSHA256, handedOff: handedOff, db: db))
        }
      }
      return try stage.process(input)
    } catch {
      return .failed("\(error)")
    }
  }
}
