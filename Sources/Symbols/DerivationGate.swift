import ByteReader
import Foundation

/// One derivation of a large symbol file at a time, across every thread and process sharing a
/// symbol cache: deriving a 400 MB PDB peaks near 270 MB, so two workers meeting two such PDBs in
/// the same minute would need twice that. The lock is `flock` on a file in the cache, which the
/// kernel releases when its holder exits, however it exits (a worker killed mid-derivation never
/// leaves it held). Small files are not gated: their derivations take milliseconds and a few MB.
///
/// A waiter gives up after `maxWait` and derives anyway: a holder that is stopped, or a PDB that
/// takes minutes, must not stall every worker (each dump has `workers.dump_timeout_seconds`,
/// 120 s by default, and the wait counts toward it). Memory is then not bounded for that pair.
enum DerivationGate {
  /// Source files from this size on derive one at a time (a 16 MB PDB peaks near 25 MB).
  static let largeSourceBytes = 16 << 20
  /// How long a derivation waits for another to finish (a 421 MB PDB derives in 7–15 s on two
  /// cores).
  static let maxWait: Duration = .seconds(60)

  /// Runs `body` holding the exclusive lock on `path` (created when missing), or after `wait`
  /// without it. When the lock file cannot be opened or locked, `body` runs at once: the gate
  /// bounds memory, it guards no data.
  static func holding<T>(
    _ path: String, wait: Duration = DerivationGate.maxWait, _ body: () throws(ParseError) -> T
  ) throws(ParseError) -> T {
    // Read-only is enough for flock, and works on a cache another user created.
    let descriptor = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { return try body() }
    defer { close(descriptor) }
    // Each open() is its own lock owner, so threads of one process exclude each other too.
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: wait)
    var locked = false
    while !locked {
      if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
        locked = true
      } else if (errno != EWOULDBLOCK && errno != EINTR) || clock.now >= deadline {
        break
      } else {
        usleep(20_000)
      }
    }
    defer { if locked { flock(descriptor, LOCK_UN) } }
    return try body()
  }
}
