import Checkpoint
import GRDB

/// A per-dump stage (parse, symbolize, bucket): pure work on one dump, then rows to write.
///
/// `process` runs on a worker thread or in a worker process and must not touch the database; its
/// `StageResult` rows are written by the single writer inside the transaction that first deletes the dump's previous rows from
/// `outputTables` and then records the stage state, so a dump's output is replaced atomically.
/// Bumping `version` makes every row of older versions stale: the next run redoes them and
/// everything downstream.
public protocol DumpStage: Sendable {
  /// Stable name stored in `stage_state.stage`.
  var name: String { get }
  /// Bump when the stage's output for the same input changes.
  var version: Int { get }
  /// Tables with a `dump_sha256` column holding this stage's output.
  var outputTables: [String] { get }
  /// Creates the stage's tables if they do not exist (called once per run, before any work).
  func prepare(_ db: Database) throws
  /// Marks `pending` the `deferred` dumps whose missing input may have appeared outside the
  /// workspace (symbols added to a store, a server back), before the stage's work in each run;
  /// returns how many. Every deferred dump is retried only with `--retry-deferred`.
  func wakeDeferred(_ database: CheckpointDatabase) throws -> Int
  /// Upstream output tables `load` reads (empty: it reads none, and no read transaction is
  /// opened for it).
  var inputTables: [String] { get }
  /// Reads what the stage needs from upstream output tables, on the worker before `process`.
  /// Stages talk only through their rows: `upstream` answers from the rows the stages before
  /// this one produced for the dump earlier in the same pass (handed over in memory, not yet
  /// committed) and from the checkpoint for every other table.
  func load(_ upstream: UpstreamRows) throws -> (any Sendable)?
  /// Computes the result for one dump. Errors become a `failed` state with their description.
  func process(_ input: DumpStageInput) throws -> StageResult
}

extension DumpStage {
  public func prepare(_ db: Database) throws {}
  public func wakeDeferred(_ database: CheckpointDatabase) throws -> Int { 0 }
  public var inputTables: [String] { [] }
  public func load(_ upstream: UpstreamRows) throws -> (any Sendable)? { nil }
}

/// What a stage gets for one dump.
public struct DumpStageInput: Sendable {
  public var item: WorkItem
  /// Path of the stored dump.
  public var path: String { dump.path }
  /// The stored dump, opened once for every stage of the pass: open it through this.
  public var dump: OpenedDump
  /// What `load` read for this dump.
  public var upstream: (any Sendable)? = nil
}

/// What a stage produced for one dump: plain rows, so a result computed in a worker process
/// crosses the pipe as data (`WireFormat`) and is written by the parent, the single writer.
public struct StageResult: Sendable {
  public var outcome: StageOutcome
  /// The rows to insert, table by table, in order.
  public var tables: [StageRows]

  public init(outcome: StageOutcome = .done, tables: [StageRows] = []) {
    self.outcome = outcome
    self.tables = tables
  }

  /// The input is not ready for this stage yet (e.g. symbols missing); retried on request.
  public static func deferred(_ reason: String) -> StageResult {
    StageResult(outcome: StageOutcome(status: .deferred, error: reason))
  }

  /// The stage could not produce a result for this dump.
  public static func failed(_ reason: String) -> StageResult {
    StageResult(outcome: StageOutcome(status: .failed, error: reason))
  }

  /// Inserts the rows; runs inside the writer's transaction.
  public func write(_ db: Database) throws {
    for rows in tables { try rows.insert(db) }
  }
}
