import Foundation

/// Which shard of a plan this process runs: `--shard I`, else the scheduler's index in the
/// environment — Slurm job arrays set `SLURM_ARRAY_TASK_ID`, Kubernetes Indexed Jobs set
/// `JOB_COMPLETION_INDEX` — and where the index came from, for the log.
public struct ShardSelection: Sendable, Equatable {
  public var index: Int
  /// `--shard`, `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX`.
  public var source: String

  /// The shard asked for, checked against the plan's shard count.
  /// - Parameter offset: added to an environment index (a Slurm array split in several arrays
  ///   passes its first shard; `CRASHSIFT_SHARD_OFFSET`).
  public static func resolve(
    explicit: Int?, environment: [String: String], shardCount: Int
  ) throws -> ShardSelection {
    var selection: ShardSelection
    if let explicit {
      selection = ShardSelection(index: explicit, source: "--shard")
    } else if let text = environment["SLURM_ARRAY_TASK_ID"] {
      selection = ShardSelection(
        index: try number(text, "SLURM_ARRAY_TASK_ID"), source: "SLURM_ARRAY_TASK_ID")
    } else if let text = environment["JOB_COMPLETION_INDEX"] {
      selection = ShardSelection(
        index: try number(text, "JOB_COMPLETION_INDEX"), source: "JOB_COMPLETION_INDEX")
    } else {
      throw ClusterError(
        "which shard? give --shard I, or run as a Slurm array task (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)"
      )
    }
    if explicit == nil, let text = environment["CRASHSIFT_SHARD_OFFSET"] {
      let offset = try number(text, "CRASHSIFT_SHARD_OFFSET")
      let (sum, overflow) = selection.index.addingReportingOverflow(offset)
      guard !overflow else {
        throw ClusterError("CRASHSIFT_SHARD_OFFSET=\(text) is too large")
      }
      selection.index = sum
      selection.source += " + CRASHSIFT_SHARD_OFFSET \(offset)"
    }
    guard selection.index >= 0, selection.index < shardCount else {
      throw ClusterError(
        "shard \(selection.index) (from \(selection.source)) is not in the plan, which has shards 0…\(shardCount - 1)"
      )
    }
    return selection
  }

  static func number(_ text: String, _ name: String) throws -> Int {
    guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value >= 0 else {
      throw ClusterError("\(name)=\(text) is not a shard index (a non-negative integer)")
    }
    return value
  }
}
