/// How a frame was found, most trusted first. Bucketing must not blame a guessed frame, so every
/// frame carries this (breakpad `StackFrame::FrameTrust`, rust-minidump `FrameTrust`; trap is ours:
/// a context restored from a machine frame or trap frame, WinDbg's `.trap`).
public enum FrameTrust: String, Sendable, Codable, Comparable {
  case context
  case trap
  case cfi
  case prologue
  case framePointer = "frame_pointer"
  case scan

  var rank: Int {
    switch self {
    case .context: 0
    case .trap: 1
    case .cfi: 2
    case .prologue: 3
    case .framePointer: 4
    case .scan: 5
    }
  }

  public static func < (lhs: FrameTrust, rhs: FrameTrust) -> Bool { lhs.rank < rhs.rank }

  /// Breakpad's wording, as `minidump_stackwalk` prints it after "Found by:".
  public var breakpadText: String {
    switch self {
    case .context: "given as instruction pointer in context"
    case .trap: "restored from a trap frame"
    case .cfi: "call frame info"
    case .prologue: "prologue analysis"
    case .framePointer: "previous frame's frame pointer"
    case .scan: "stack scanning"
    }
  }
}
