import Foundation

/// Test hook: `CRASHSIFT_FAULT=<point>:<n>` kills the process with SIGKILL the n-th time `<point>`
/// is reached, so crash-safety tests can stop a real run at exact places (after a dump is stored
/// but before its row is committed, right after a commit, …). Unset in normal use: then `hit` is a
/// single comparison.
public enum FaultInjection {
  private static let configured: (point: String, count: Int)? = {
    guard let spec = ProcessInfo.processInfo.environment["CRASHSIFT_FAULT"] else { return nil }
    let parts = spec.split(separator: ":")
    guard parts.count == 2, let count = Int(parts[1]), count > 0 else { return nil }
    return (String(parts[0]), count)
  }()
  // Touched only from the single writer thread (and the report writer, which runs after it).
  nonisolated(unsafe) private static var hits: [String: Int] = [:]

  /// Marks that `point` was reached; dies here if this is the configured hit.
  public static func hit(_ point: String) {
    guard let configured, configured.point == point else { return }
    hits[point, default: 0] += 1
    if hits[point] == configured.count { kill(getpid(), SIGKILL) }
  }

  private static let poisoned: String? = ProcessInfo.processInfo.environment["CRASHSIFT_POISON"]

  /// `CRASHSIFT_POISON=<sha256>`: dies when a stage starts on that dump, like an input that
  /// crashes the process every time (any thread may call this).
  public static func poison(_ dump: String) {
    if let poisoned, poisoned == dump { kill(getpid(), SIGKILL) }
  }
}
