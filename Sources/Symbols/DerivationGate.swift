import ByteReader
import Foundation

/// One derivation of a large symbol file at a time, across every thread and process sharing a
/// symbol cache: deriving a 400 MB PDB peaks near 270 MB, so two workers meeting two such PDBs in
/// the same minute would need twice that. The lock is `flock` on a file in the cache, which the
/// kernel releases when its holder exits, however it exits (a worker killed mid-derivation never
/// leaves it held). Small files are not gated: their derivations take milliseconds and a few MB.
enum DerivationGate {
  /// Source files from this size on derive one at a time (a 16 MB PDB peaks near 25 MB).
  static let largeSourceBytes = 16 << 20

  /// Runs `body` holding the exclusive lock on `path` (created when missing). When the lock file
  /// cannot be opened or locked, `body` runs anyway: the gate bounds memory, it guards no data.
  static func holding<T>(_ path: String, _ body: () throws(ParseError) -> T) throws(ParseError)
    -> T
  {
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { return try body() }
    defer { close(descriptor) }
    // Each open() is its own lock owner, so threads of one process exclude each other too.
    var locked = flock(descriptor, LOCK_EX) == 0
    while !locked, errno == EINTR { locked = flock(descriptor, LOCK_EX) == 0 }
    defer { if locked { flock(descriptor, LOCK_UN) } }
    return try body()
  }
}
