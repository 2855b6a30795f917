/// The result of walking one thread: its frames and why the walk ended.
public struct StackWalk: Sendable {
  public var frames: [StackFrame]
  /// Why there is no further frame: the end of the stack, or a bound that cut the walk.
  public var stopReason: String
  /// True when the walk was cut by a bound or bad data rather than reaching the end.
  public var truncated: Bool

  public init(frames: [StackFrame], stopReason: String, truncated: Bool) {
    self.frames = frames
    self.stopReason = stopReason
    self.truncated = truncated
  }
}
