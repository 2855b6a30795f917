/// What one per-dump stage did in a run.
public struct StageSummary: Sendable, Codable, Equatable {
  public var name: String
  public var version: Int
  /// Rows found stale (older version) and marked pending at the start.
  public var stale = 0
  public var processed = 0
  public var done = 0
  public var failed = 0
  public var deferred = 0
  /// Deferred dumps of earlier runs redone because what they waited for may have appeared.
  public var retriedDeferred = 0
  /// Of `processed`, the dumps this stage took straight from the stage before it on the same
  /// worker, in the same pass (the hand-off).
  public var handedOff = 0
  /// Wall time of the passes this stage led; a pass takes its dumps through the following
  /// stages too, so a stage fed by the hand-off can show little time of its own.
  public var seconds = 0.0

  enum CodingKeys: String, CodingKey {
    case name, version, stale, processed, done, failed, deferred, seconds
    case retriedDeferred = "retried_deferred"
    case handedOff = "handed_off"
  }

  public init(name: String, version: Int) {
    self.name = name
    self.version = version
  }
}
