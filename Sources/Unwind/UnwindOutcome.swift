/// What unwinding one frame from unwind info gave.
enum UnwindOutcome {
  /// The caller's registers; `trap` when a machine frame supplied the instruction and stack
  /// pointers.
  case caller(RegisterSet, trap: Bool)
  /// Unwind info exists but could not be applied (unreadable stack, bad info), with why.
  case failed(String)
  /// No unwind info covers the address.
  case noInfo
}
