import Analysis
import Checkpoint
import Foundation
import GRDB
import Ingest

/// What other bucketing rules would do to a workspace: every bucketed dump re-bucketed in memory
/// with the new rules, compared with its stored FAILURE_BUCKET_ID, and the differences grouped
/// the way a triager reads them. Nothing is written.
///
/// For an old bucket O and the new buckets its dumps land in, and a new bucket N and the old
/// buckets its dumps come from:
/// - **split**: O's dumps land in two or more buckets;
/// - **merge**: N takes dumps from two or more old buckets;
/// - **move**: all of O's dumps land in one other bucket N that takes dumps from no other bucket
///   (the bucket is renamed, e.g. the followup moved one frame down).
/// A bucket can be both split and merged; each is listed where it applies.
public struct BucketPreview: Codable, Sendable, Equatable {
  /// A bucket and how many of the compared dumps it holds.
  public struct Part: Codable, Sendable, Equatable {
    public var bucket: String
    public var dumps: Int
  }

  /// One split, merge or move.
  public struct Change: Codable, Sendable, Equatable {
    /// `split`, `merge` or `move`.
    public var kind: String
    /// Old buckets (one for a split or move; two or more for a merge).
    public var from: [Part]
    /// New buckets (two or more for a split; one for a merge or move).
    public var to: [Part]
    /// A few dumps that change, sha256, to open with `crashsift explain` or `analyze`.
    public var examples: [String]
  }

  /// A dump that could not be re-bucketed, and why (it keeps its stored bucket).
  public struct Failure: Codable, Sendable, Equatable {
    public var dump: String
    public var reason: String
  }

  /// Dumps re-bucketed.
  public var compared = 0
  /// Of those, dumps whose FAILURE_BUCKET_ID would change.
  public var changed = 0
  public var changes: [Change] = []
  public var failures: [Failure] = []
  /// The previewed rules' version (digest).
  public var rulesVersion = ""

  /// The counts per kind of change.
  public var counts: [String: Int] {
    Dictionary(grouping: changes, by: \.kind).mapValues(\.count)
  }

  /// Re-buckets every bucketed dump of `database` (dumps in `store`) with `rules` on `jobs`
  /// threads and compares.
  public static func compute(
    database: CheckpointDatabase, store: DumpStore, rules: BucketRules, jobs: Int
  ) throws -> BucketPreview {
    let stage = BucketStage(rules: rules)
    let items = try database.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT b.dump_sha256, d.kind, d.size, b.failure_bucket_id FROM buckets b
          JOIN dumps d ON d.sha256 = b.dump_sha256 ORDER BY b.dump_sha256
          """
      ).map { row -> (WorkItem, String) in
        (
          WorkItem(
            dumpSHA256: row[0], kind: DumpKind(rawValue: row[1]) ?? .unknown, size: row[2],
            attempts: 0),
          row[3]
        )
      }
    }
    var stored: [String: String] = [:]
    for (item, bucket) in items { stored[item.dumpSHA256] = bucket }
    var renamed: [String: String] = [:]
    var preview = BucketPreview(rulesVersion: rules.version)
    enum Outcome: Sendable {
      case bucket(String?)
      case failed(String)
    }
    try WorkerPool.run(items: items.map(\.0), jobs: jobs) {
      (item, context: WorkerPool.Context<(String, Outcome)>) in
      let result = DumpStageRunner.process(
        item, stage: stage, dump: OpenedDump(path: store.path(sha256: item.dumpSHA256)),
        database: database)
      let outcome: Outcome =
        result.outcome.status == .failed
        ? .failed(result.outcome.error ?? "failed") : .bucket(Self.bucketID(result))
      try? context.emit((item.dumpSHA256, outcome))
    } consume: { (dump: String, outcome: Outcome) in
      switch outcome {
      case .failed(let reason): preview.failures.append(Failure(dump: dump, reason: reason))
      case .bucket(let bucket):
        preview.compared += 1
        renamed[dump] = bucket ?? "(no bucket)"
      }
    }
    preview.failures.sort { $0.dump < $1.dump }
    preview.changes = Self.changes(from: stored, to: renamed)
    preview.changed = renamed.filter { stored[$0.key] != $0.value }.count
    return preview
  }

  /// The FAILURE_BUCKET_ID in a bucket stage result, nil when the dump gets no bucket.
  static func bucketID(_ result: StageResult) -> String? {
    guard let rows = result.tables.first(where: { $0.table == "buckets" }), rows.count > 0,
      let column = rows.columns.firstIndex(of: "failure_bucket_id")
    else { return nil }
    return String.fromDatabaseValue(rows.values[column])
  }

  /// Splits, merges and moves between the stored and the new bucket of each dump (dumps in
  /// `new` only), largest first.
  static func changes(from old: [String: String], to new: [String: String]) -> [Change] {
    // old bucket → new bucket → dumps, and the reverse.
    var forward: [String: [String: [String]]] = [:]
    var backward: [String: [String: [String]]] = [:]
    for (dump, target) in new {
      let source = old[dump] ?? "(no bucket)"
      forward[source, default: [:]][target, default: []].append(dump)
      backward[target, default: [:]][source, default: []].append(dump)
    }
    func parts(_ map: [String: [String]]) -> [Part] {
      map.map { Part(bucket: $0.key, dumps: $0.value.count) }.sorted {
        ($1.dumps, $0.bucket) < ($0.dumps, $1.bucket)
      }
    }
    func examples(_ dumps: [[String]]) -> [String] { Array(dumps.joined().sorted().prefix(3)) }
    var changes: [Change] = []
    for (source, targets) in forward {
      let moved = targets.filter { $0.key != source }
      if targets.count >= 2 {
        changes.append(
          Change(
            kind: "split",
            from: [Part(bucket: source, dumps: targets.values.map(\.count).reduce(0, +))],
            to: parts(targets), examples: examples(Array(moved.values))))
      } else if let (target, dumps) = moved.first, backward[target]?.count == 1 {
        changes.append(
          Change(
            kind: "move", from: [Part(bucket: source, dumps: dumps.count)],
            to: [Part(bucket: target, dumps: dumps.count)], examples: examples([dumps])))
      }
    }
    for (target, sources) in backward where sources.count >= 2 {
      let incoming = sources.filter { $0.key != target }
      changes.append(
        Change(
          kind: "merge", from: parts(sources),
          to: [Part(bucket: target, dumps: sources.values.map(\.count).reduce(0, +))],
          examples: examples(Array(incoming.values))))
    }
    let order = ["split": 0, "merge": 1, "move": 2]
    return changes.sorted { a, b in
      let (sa, sb) = (a.from.map(\.dumps).reduce(0, +), b.from.map(\.dumps).reduce(0, +))
      return (order[a.kind] ?? 3, -sa, a.from.first?.bucket ?? "", a.to.first?.bucket ?? "")
        < (order[b.kind] ?? 3, -sb, b.from.first?.bucket ?? "", b.to.first?.bucket ?? "")
    }
  }

  /// The preview as a table a person reads: the totals, then one block per change.
  public var text: String {
    var lines = [
      "\(compared) dumps re-bucketed in memory with rules \(rulesVersion): \(changed) would change "
        + "bucket (\(counts["split"] ?? 0) splits, \(counts["merge"] ?? 0) merges, "
        + "\(counts["move"] ?? 0) moves); nothing was written."
    ]
    if !failures.isEmpty {
      lines.append("\(failures.count) dumps could not be re-bucketed (they keep their bucket):")
      lines += failures.prefix(10).map { "  \($0.dump): \($0.reason)" }
    }
    for change in changes {
      lines.append("")
      switch change.kind {
      case "split":
        lines.append("split  \(change.from[0].bucket) (\(change.from[0].dumps) dumps) into:")
        lines += change.to.map { "         \($0.bucket) (\($0.dumps))" }
      case "merge":
        lines.append("merge  into \(change.to[0].bucket) (\(change.to[0].dumps) dumps) from:")
        lines += change.from.map { "         \($0.bucket) (\($0.dumps))" }
      default:
        lines.append(
          "move   \(change.from[0].bucket) → \(change.to[0].bucket) (\(change.from[0].dumps) dumps)"
        )
      }
      lines.append("       e.g. \(change.examples.joined(separator: ", "))")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
