import Checkpoint
import Foundation
import GRDB
import Ingest
import Logging

/// The ingest stage: reads the manifest's archives and records every dump they hold.
///
/// Three passes, each parallel on the worker pool with the calling thread as the only writer:
/// 1. stat each archive; one unchanged since a finished ingest (same path, size, mtime) is done;
/// 2. hash the rest; content already ingested (or seen earlier in this run, in manifest order)
///    is recorded as another source of the same archive and not read again;
/// 3. walk the remaining archives, storing dumps as they stream out and committing their rows in
///    batches. An archive is marked `done` (or `failed`) in the transaction of its last rows, so
///    a kill at any point leaves it `running` and the next run walks it again; every insert is
///    idempotent, so the rows converge to those of an uninterrupted run.
public struct IngestStage {
  /// The stage name used in `runs`, `status` and the CLI.
  public static let name = "ingest"

  let database: CheckpointDatabase
  let store: DumpStore
  let limits: IngestLimits
  let jobs: Int
  let progress: ProgressMode
  let logger: Logger
  /// Also re-read archives whose last ingest failed.
  var retryFailed = false
  /// Dump rows are committed in transactions of at most this many.
  var batchSize = 500
  /// Archives finished per transaction at most (small archives are committed in groups).
  var finishBatchSize = 200
  /// The manifest's `sources_immutable`: bare dumps may enter the store as hard links.
  public var sourcesImmutable = false
  /// Place bare dumps in the store without streaming them (`BareDump`); off only to compare
  /// with the walker's rows.
  public var placeBareDumps = true

  public init(
    database: CheckpointDatabase, store: DumpStore, limits: IngestLimits, jobs: Int,
    progress: ProgressMode, logger: Logger, retryFailed: Bool = false
  ) {
    self.database = database
    self.store = store
    self.limits = limits
    self.jobs = jobs
    self.progress = progress
    self.logger = logger
    self.retryFailed = retryFailed
  }

  private enum Event: Sendable {
    case begin(ArchiveRow)
    case dump(archive: String, batch: String, StoredDump)
    case issue(archive: String, entryPath: String, reason: String)
    case progress(archive: String, bytes: Int64)
    case finish(archive: String, path: String, ArchiveOutcome)
    case placed(DumpStore.Placement)
    case hashed(
      Manifest.PlannedArchive, size: Int64, mtime: Int64, sha256: String, identity: FileIdentity?)
    case unreadable(path: String, error: String)
  }

  /// Runs the stage over `archives` (in manifest order).
  public func run(archives: [Manifest.PlannedArchive]) throws -> IngestSummary {
    let started = Date()
    var summary = IngestSummary()
    summary.archivesPlanned = archives.count
    let dumpsBefore = try database.read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dumps") ?? 0
    }

    // Pass 1: stat; skip unchanged sources.
    var toHash: [Manifest.PlannedArchive] = []
    try database.read { db in
      for archive in archives {
        guard let stat = Self.fileStat(archive.path) else {
          summary.failures.append(.init(path: archive.path, error: "cannot stat the file"))
          continue
        }
        if let known = try IngestLedger.source(db, path: archive.path), known.size == stat.size,
          known.mtime == stat.mtime,
          known.status == "done" || (known.status == "failed" && !retryFailed)
        {
          summary.archivesUnchanged += 1
        } else {
          toHash.append(archive)
        }
      }
    }

    // Pass 2: hash (parallel), then pick one path per content in manifest order.
    var hashed: [String: (Manifest.PlannedArchive, Int64, Int64, String)] = [:]
    var identities: [String: FileIdentity] = [:]
    try WorkerPool.run(items: toHash, jobs: jobs) { (archive, context: WorkerPool.Context<Event>) in
      // The file's identity before and after hashing: a bare dump may be placed in the store
      // under this hash only if nothing replaced or rewrote it meanwhile (`BareDump`).
      guard let before = FileIdentity(path: archive.path) else {
        try? context.emit(.unreadable(path: archive.path, error: "cannot stat the file"))
        return
      }
      do {
        let sha = try FileHasher.sha256(path: archive.path)
        let identity = FileIdentity(path: archive.path) == before ? before : nil
        try? context.emit(
          .hashed(
            archive, size: before.size, mtime: before.modified, sha256: sha, identity: identity))
      } catch {
        try? context.emit(.unreadable(path: archive.path, error: "\(error)"))
      }
    } consume: { event in
      switch event {
      case .hashed(let archive, let size, let mtime, let sha, let identity):
        hashed[archive.path] = (archive, size, mtime, sha)
        identities[archive.path] = identity
      case .unreadable(let path, let error):
        summary.failures.append(.init(path: path, error: error))
      default:
        break
      }
    }
    var toWalk: [ArchiveRow] = []
    var claimed: Set<String> = []
    var sourcesOnly: [ArchiveRow] = []
    try database.read { db in
      for archive in toHash {
        guard let (planned, size, mtime, sha) = hashed[archive.path] else { continue }
        let row = ArchiveRow(
          sha256: sha, path: planned.path, size: size, mtime: mtime, batch: planned.batch,
          build: planned.build)
        let status = try IngestLedger.archiveStatus(db, sha256: sha)
        if claimed.contains(sha) {
          summary.archivesDuplicate += 1
          sourcesOnly.append(row)
        } else if status == "done" || (status == "failed" && !retryFailed) {
          // Same content as an archive already read: under this path (touched) or another.
          if try knownPath(db, sha) == archive.path {
            summary.archivesUnchanged += 1
          } else {
            summary.archivesDuplicate += 1
          }
          sourcesOnly.append(row)
        } else {
          claimed.insert(sha)
          toWalk.append(row)
        }
      }
    }

    // Pass 3: walk (parallel), one writer.
    let totalBytes = toWalk.reduce(Int64(0)) { $0 + $1.size }
    let sizes = Dictionary(
      toWalk.map { ($0.sha256, $0.size) }, uniquingKeysWith: { first, _ in first })
    let reporter = ProgressReporter(
      mode: progress, stage: Self.name, total: totalBytes, unit: "bytes")
    var consumed: [String: Int64] = [:]
    var finishedBytes: Int64 = 0
    var pendingDumps: [(archive: String, batch: String, dump: StoredDump)] = []
    var pendingIssues: [String: [(entryPath: String, reason: String)]] = [:]
    // Group commit: archives begun and finished since the last transaction. A corpus of many
    // small archives (or bare dumps) would otherwise cost two transactions and a syncfs each.
    var pendingBegins: [ArchiveRow] = []
    var pendingFinishes: [(String, ArchiveOutcome)] = []
    let store = self.store
    let limits = self.limits
    let immutable = sourcesImmutable
    let placeBareDumps = self.placeBareDumps
    let hashedIdentities = identities

    // One transaction: the archives begun (their rows must exist before their dumps'), the dumps
    // and issues, and the archives finished — each archive's done-mark commits with its last
    // dumps, so a kill never leaves an archive done with dumps missing.
    func flush() throws {
      if !pendingDumps.isEmpty { store.synchronize() }
      let begins = pendingBegins
      let dumps = pendingDumps
      let issues = pendingIssues
      let finishes = pendingFinishes
      try database.write { db in
        let now = Timestamp.now()
        for row in begins { try IngestLedger.begin(db, archive: row, now: now) }
        var byArchive: [String: (batch: String, dumps: [StoredDump])] = [:]
        for item in dumps {
          byArchive[item.archive, default: (item.batch, [])].dumps.append(item.dump)
        }
        for (archive, group) in byArchive {
          try IngestLedger.insert(
            db, dumps: group.dumps, archiveSHA256: archive, batch: group.batch)
        }
        for (archive, list) in issues {
          try IngestLedger.insertIssues(db, issues: list, archiveSHA256: archive)
        }
        for (archive, outcome) in finishes {
          try IngestLedger.finish(db, archiveSHA256: archive, outcome: outcome, now: now)
        }
      }
      pendingBegins.removeAll(keepingCapacity: true)
      pendingDumps.removeAll(keepingCapacity: true)
      pendingIssues.removeAll()
      pendingFinishes.removeAll(keepingCapacity: true)
      FaultInjection.hit("ingest-commit")
    }

    try WorkerPool.run(items: toWalk, jobs: jobs) { (row, context: WorkerPool.Context<Event>) in
      do {
        try context.emit(.begin(row))
        if placeBareDumps, let identity = hashedIdentities[row.path],
          let bare = try BareDump.store(
            path: row.path, sha256: row.sha256, identity: identity, immutable: immutable,
            store: store, limits: limits)
        {
          try context.emit(.placed(bare.placement))
          try context.emit(.dump(archive: row.sha256, batch: row.batch, bare.dump))
          try context.emit(.finish(archive: row.sha256, path: row.path, bare.outcome))
          return
        }
        var lastReported: Int64 = 0
        let walker = ArchiveWalker(
          store: store, limits: limits,
          onEvent: { event in
            switch event {
            case .dump(let dump):
              try context.emit(.dump(archive: row.sha256, batch: row.batch, dump))
            case .issue(let entryPath, let reason):
              try context.emit(.issue(archive: row.sha256, entryPath: entryPath, reason: reason))
            }
          },
          onProgress: { bytes in
            if bytes - lastReported >= 1 << 20 {
              lastReported = bytes
              try? context.emit(.progress(archive: row.sha256, bytes: bytes))
            }
          })
        let outcome = try walker.walk(path: row.path)
        try context.emit(.finish(archive: row.sha256, path: row.path, outcome))
      } catch is WorkerPool.Cancelled {
        return
      } catch {
        // The store failed (disk full): report it; the writer stops the run.
        try? context.emit(
          .finish(
            archive: row.sha256, path: row.path,
            ArchiveOutcome(error: "store: \(error)", entries: 0, dumps: 0, skipped: 0, formats: ""))
        )
      }
    } consume: { event in
      switch event {
      case .begin(let row):
        pendingBegins.append(row)
      case .placed(let placement):
        summary.bareDumps[placement.rawValue, default: 0] += 1
      case .dump(let archive, let batch, let dump):
        pendingDumps.append((archive, batch, dump))
        summary.dumpsFound += 1
        FaultInjection.hit("ingest-dump")
        if pendingDumps.count >= batchSize { try flush() }
      case .issue(let archive, let entryPath, let reason):
        pendingIssues[archive, default: []].append((entryPath, reason))
      case .progress(let archive, let bytes):
        consumed[archive] = bytes
      case .finish(let archive, let path, let outcome):
        if let error = outcome.error, error.hasPrefix("store: ") {
          throw IngestError.store(String(error.dropFirst(7)))
        }
        pendingFinishes.append((archive, outcome))
        if pendingFinishes.count >= finishBatchSize || outcome.error != nil { try flush() }
        consumed[archive] = nil
        finishedBytes += sizes[archive] ?? 0
        summary.archivesIngested += 1
        summary.entriesSkipped += outcome.skipped
        if let error = outcome.error {
          summary.archivesFailed += 1
          summary.failures.append(.init(path: path, error: error))
          logger.warning("\(path): \(error)")
        }
      default:
        break
      }
      let inFlight = consumed.values.reduce(0, +)
      reporter.update(
        done: finishedBytes + inFlight,
        detail: "\(summary.archivesIngested)/\(toWalk.count) archives, \(summary.dumpsFound) dumps")
    }
    if !pendingDumps.isEmpty || !pendingIssues.isEmpty || !pendingBegins.isEmpty
      || !pendingFinishes.isEmpty
    {
      try flush()
    }
    // Other paths of the same content; recorded after the walk so that their archive row exists.
    if !sourcesOnly.isEmpty {
      try database.write { db in
        for row in sourcesOnly { try IngestLedger.recordSource(db, archive: row) }
      }
    }

    let dumpsAfter = try database.read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dumps") ?? 0
    }
    summary.dumpsNew = dumpsAfter - dumpsBefore
    summary.bytesRead = totalBytes
    summary.seconds = Date().timeIntervalSince(started)
    reporter.finish(
      detail:
        "\(summary.archivesIngested) archives read (\(summary.archivesUnchanged) unchanged, \(summary.archivesDuplicate) duplicate), \(summary.dumpsFound) dumps, \(summary.dumpsNew) new, \(summary.failures.count) failed"
    )
    return summary
  }

  private func knownPath(_ db: Database, _ sha: String) throws -> String? {
    try String.fetchOne(db, sql: "SELECT path FROM archives WHERE sha256 = ?", arguments: [sha])
  }

  /// Size and modification time (ns) of `path`, nil when it cannot be stat-ed.
  public static func fileStat(_ path: String) -> (size: Int64, mtime: Int64)? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return (
      Int64(info.st_size), Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
    )
  }
}
