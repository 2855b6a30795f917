import Foundation

/// Test hook: `CRASHSIFT_FAULT=<point>:<n>` kills the process with SIGKILL the n-th time `<point>`
/// is reached, so crash-safety tests can stop a real run at exact places (after a dump is stored
/// but before its row is committed, right after a commit, …). Unset in normal use: then `hit` is a
/// single comparison.
enum FaultInjection {
  private static let configured: (point: String, count: Int)? = {
    guard let spec = ProcessInfo.processInfo.environment["CRASHSIFT_FAULT"] else { return nil }
    let parts = spec.split(separator: ":")
    guard parts.count == 2, let count = Int(parts[1]), count > 0 else { return nil }
    return (String(parts[0]), count)
  }()
  // Touched only from the single writer thread.
  nonisolated(unsafe) private static var hits: [String: Int] = [:]

  /// Marks that `point` was reached; dies here if this is the configured hit.
  static func hit(_ point: String) {
    guard let configured, configured.point == point else { return }
    hits[point, default: 0] += 1
    if hits[point] == configured.count { kill(getpid(), SIGKILL) }
  }
}
