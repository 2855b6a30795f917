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
  public var seconds = 0.0

  public init(name: String, version: Int) {
    self.name = name
    self.version = version
  }
}
