/// One dump a per-dump stage has to process.
public struct WorkItem: Sendable, Equatable {
  public var dumpSHA256: String
  public var kind: DumpKind
  public var size: Int64
  /// Attempts recorded before this one (claims by earlier, possibly killed, runs).
  public var attempts: Int
  /// The dump had no state for the stage when its work was listed: the stage never ran or
  /// started on it, so neither it nor any later stage has rows to replace (a stage's rows are
  /// written with its state, and a later stage's state needs this one's). The writer then skips
  /// the deletes. Known to the parent only; not sent to workers.
  public var fresh = false

  public init(dumpSHA256: String, kind: DumpKind, size: Int64, attempts: Int) {
    self.dumpSHA256 = dumpSHA256
    self.kind = kind
    self.size = size
    self.attempts = attempts
  }
}
