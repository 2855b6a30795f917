import Foundation

/// Test hooks that make a run fail on purpose, so crash-safety tests can stop it at exact places.
///
/// Compiled in only when `CRASHSIFT_TEST_HOOKS` is defined, which Package.swift does for debug
/// builds (the ones `swift test` runs). A release build — what users install — ignores the
/// variables below entirely, so a stray environment variable can never make a production run
/// kill itself.
///
/// - `CRASHSIFT_FAULT=<point>:<n>`: SIGKILL the process the n-th time `<point>` is reached
///   (after a dump is stored but before its row is committed, right after a commit, …).
/// - `CRASHSIFT_FAIL_SHARD=<i>`: SIGKILL `run --plan` when it starts shard i.
/// - `CRASHSIFT_POISON=<sha256>[:<mode>][@<stage>][,…]`: misbehave when a stage (only `<stage>`,
///   when named) starts on that dump, like an input that breaks the reader every time. Modes:
///   `kill` (SIGKILL, the default), `trap` (a trapping integer conversion, as a bad dump field
///   would cause), `hang` (never returns), `memory` (allocates without bound), `once` (SIGKILL
///   the first time only, per marker file in the temporary directory).
public enum FaultInjection {
  /// Whether this build honours the hooks.
  public static var compiledIn: Bool {
    #if CRASHSIFT_TEST_HOOKS
      true
    #else
      false
    #endif
  }

  #if CRASHSIFT_TEST_HOOKS
    private static let configured: (point: String, count: Int)? = {
      guard let spec = ProcessInfo.processInfo.environment["CRASHSIFT_FAULT"] else { return nil }
      let parts = spec.split(separator: ":")
      guard parts.count == 2, let count = Int(parts[1]), count > 0 else { return nil }
      return (String(parts[0]), count)
    }()
    // Touched only from the single writer thread (and the report writer, which runs after it).
    nonisolated(unsafe) private static var hits: [String: Int] = [:]

    private static let poisoned: [String: (mode: String, stage: String?)] = {
      guard let spec = ProcessInfo.processInfo.environment["CRASHSIFT_POISON"] else { return [:] }
      var result: [String: (mode: String, stage: String?)] = [:]
      for entry in spec.split(separator: ",") {
        let scoped = entry.split(separator: "@", maxSplits: 1)
        guard let target = scoped.first else { continue }
        let parts = target.split(separator: ":", maxSplits: 1)
        guard let sha = parts.first else { continue }
        result[String(sha)] = (
          parts.count > 1 ? String(parts[1]) : "kill", scoped.count > 1 ? String(scoped[1]) : nil
        )
      }
      return result
    }()
  #endif

  /// Marks that `point` was reached; dies here if this is the configured hit.
  @inline(__always)
  public static func hit(_ point: String) {
    #if CRASHSIFT_TEST_HOOKS
      guard let configured, configured.point == point else { return }
      hits[point, default: 0] += 1
      if hits[point] == configured.count { kill(getpid(), SIGKILL) }
    #endif
  }

  /// Misbehaves as configured when `stage` starts on `dump` (any thread may call this).
  @inline(__always)
  public static func poison(_ dump: String, stage: String) {
    #if CRASHSIFT_TEST_HOOKS
      guard let (mode, only) = poisoned[dump], only == nil || only == stage else { return }
      switch mode {
      case "trap":
        // The conversion that brought down real runs: a 64-bit dump field into a signed Int.
        let field = UInt64.max - UInt64(truncatingIfNeeded: getpid() & 0)
        print(Int(field))
      case "once":
        // Killed the first time only (a marker file remembers): like the OOM killer or an
        // administrator's kill hitting a worker on an innocent dump.
        let marker = "\(NSTemporaryDirectory())/crashsift-poison-once-\(dump)"
        if !FileManager.default.fileExists(atPath: marker) {
          FileManager.default.createFile(atPath: marker, contents: Data())
          kill(getpid(), SIGKILL)
        }
      case "hang":
        while true { sleep(3600) }
      case "memory":
        var hoard: [[UInt8]] = []
        while true { hoard.append([UInt8](repeating: 1, count: 64 << 20)) }
      default:
        kill(getpid(), SIGKILL)
      }
    #endif
  }

  /// SIGKILLs a shard run when `CRASHSIFT_FAIL_SHARD` names its index: one task of a job array
  /// that dies, as a lost node or a time limit would end it.
  @inline(__always)
  public static func shard(_ index: Int) {
    #if CRASHSIFT_TEST_HOOKS
      let wanted = ProcessInfo.processInfo.environment["CRASHSIFT_FAIL_SHARD"]
      if let wanted, Int(wanted) == index { kill(getpid(), SIGKILL) }
    #endif
  }
}
