import Checkpoint
import Foundation
import GRDB

/// What `crashsift status` shows: per-stage counts and the last run.
public struct WorkspaceStatus: Sendable, Codable, Equatable {
  /// Counts of one stage by status.
  public struct StageCounts: Sendable, Codable, Equatable {
    public var stage: String
    /// What the counts count: `archives` for ingest, `dumps` for per-dump stages.
    public var unit: String
    public var pending: Int
    public var running: Int
    public var done: Int
    public var failed: Int
    public var deferred: Int
  }

  /// Something that failed, newest first: an archive (by path) or a dump in a stage.
  public struct Failure: Sendable, Codable, Equatable {
    public var stage: String
    /// The archive path, or the dump's sha256.
    public var item: String
    public var error: String
  }

  /// At most this many failures are listed.
  public static let failureLimit = 50

  public var workspace: String
  public var dumps: Int
  public var dumpsByKind: [String: Int]
  public var occurrences: Int
  public var storeBytes: Int64
  public var stages: [StageCounts]
  public var lastRun: RunLedger.Run?
  public var failures: [Failure]

  enum CodingKeys: String, CodingKey {
    case workspace, dumps, occurrences, stages, failures
    case dumpsByKind = "dumps_by_kind"
    case storeBytes = "store_bytes"
    case lastRun = "last_run"
  }

  /// Reads the status of `workspace` without taking its lock (WAL readers never block a run).
  public static func read(workspace: Workspace, dumpStages: [String]) throws -> WorkspaceStatus {
    let database = try CheckpointDatabase(path: workspace.databasePath, readOnly: true)
    return try database.read { db in
      var kinds: [String: Int] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT kind, COUNT(*) FROM dumps GROUP BY kind") {
        kinds[row[0]] = row[1]
      }
      var archiveCounts: [String: Int] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) FROM archives GROUP BY status")
      {
        archiveCounts[row[0]] = row[1]
      }
      var stages = [
        StageCounts(
          stage: "ingest", unit: "archives", pending: 0, running: archiveCounts["running"] ?? 0,
          done: archiveCounts["done"] ?? 0, failed: archiveCounts["failed"] ?? 0, deferred: 0)
      ]
      for name in dumpStages {
        let counts = try StageLedger.counts(db, stage: name)
        stages.append(
          StageCounts(
            stage: name, unit: "dumps", pending: counts[.pending] ?? 0,
            running: counts[.running] ?? 0, done: counts[.done] ?? 0, failed: counts[.failed] ?? 0,
            deferred: counts[.deferred] ?? 0))
      }
      var failures: [Failure] = []
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT 'ingest', path, COALESCE(error, '') FROM archives WHERE status = 'failed'
          UNION ALL
          SELECT stage, dump_sha256, COALESCE(error, '') FROM stage_state WHERE status = 'failed'
          ORDER BY 1, 2 LIMIT ?
          """, arguments: [failureLimit])
      {
        failures.append(Failure(stage: row[0], item: row[1], error: row[2]))
      }
      return WorkspaceStatus(
        workspace: workspace.directory, dumps: kinds.values.reduce(0, +), dumpsByKind: kinds,
        occurrences: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM occurrences") ?? 0,
        storeBytes: try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM dumps") ?? 0,
        stages: stages, lastRun: try RunLedger.last(db), failures: failures)
    }
  }

  /// The human-readable form.
  public var text: String {
    var lines = ["workspace \(workspace)"]
    let kinds = dumpsByKind.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
    lines.append(
      "dumps: \(dumps) stored (\(kinds.isEmpty ? "none" : kinds.joined(separator: ", "))), \(occurrences) occurrences, \(ProgressReporter.bytes(Double(storeBytes)))"
    )
    lines.append("")
    lines.append("stage      unit       pending  running     done   failed deferred")
    for stage in stages {
      func col(_ value: Int) -> String {
        String(repeating: " ", count: max(0, 8 - String(value).count)) + String(value)
      }
      let name = stage.stage.padding(toLength: 10, withPad: " ", startingAt: 0)
      let unit = stage.unit.padding(toLength: 9, withPad: " ", startingAt: 0)
      lines.append(
        "\(name) \(unit) \(col(stage.pending)) \(col(stage.running)) \(col(stage.done)) \(col(stage.failed)) \(col(stage.deferred))"
      )
    }
    if !failures.isEmpty {
      lines.append("")
      lines.append("failed (at most \(Self.failureLimit); --json for scripts):")
      for failure in failures {
        lines.append("  \(failure.stage) \(failure.item): \(failure.error)")
      }
    }
    lines.append("")
    if let run = lastRun {
      lines.append(
        "last run: #\(run.id) `crashsift \(run.command)` \(run.status), started \(run.startedAt)\(run.finishedAt.map { ", finished \($0)" } ?? "") (pid \(run.pid) on \(run.host))"
      )
    } else {
      lines.append("last run: none")
    }
    return lines.joined(separator: "\n")
  }
}
