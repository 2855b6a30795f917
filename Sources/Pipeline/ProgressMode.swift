/// How progress is shown on standard error.
public enum ProgressMode: Sendable {
  /// A redrawn bar with rate and ETA (standard error is a terminal).
  case bar
  /// A plain line every few seconds (logs, CI).
  case lines
  /// Nothing.
  case quiet
}
