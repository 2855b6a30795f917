/// One dump a per-dump stage has to process.
public struct WorkItem: Sendable, Equatable {
  public var dumpSHA256: String
  public var kind: DumpKind
  public var size: Int64
  /// Attempts recorded before this one (claims by earlier, possibly killed, runs).
  public var attempts: Int

  public init(dumpSHA256: String, kind: DumpKind, size: Int64, attempts: Int) {
    self.dumpSHA256 = dumpSHA256
    self.kind = kind
    self.size = size
    self.attempts = attempts
  }
}
