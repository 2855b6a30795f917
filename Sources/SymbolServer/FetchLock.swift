import Foundation
import Symbols

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#endif

/// An exclusive lock on one store key in one cache, shared by every thread and worker process
/// that fetches into it: a night's workers all meet the same kernel PDB at once, and without it
/// each would download the same tens of megabytes. The second one waits, then finds the file (or
/// the remembered miss) the first one left. `flock` locks belong to the open file description,
/// so two threads of one process exclude each other as two processes do.
final class FetchLock {
  private let descriptor: Int32

  /// Blocks until the key is free. A lock file that cannot be made (read-only cache, full disk)
  /// only costs the duplicate download the lock avoids, so it is not an error.
  init(cache: String, key: SymbolStoreKey) {
    let folder = "\(cache)/.crashsift-locks"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    // The key's parts are plain names (`isSafe` was checked), so they make one file name.
    let path = "\(folder)/\(key.folder).\(key.index).\(key.file)"
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { return }
    while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
  }

  deinit {
    // Closing the descriptor releases the lock.
    if descriptor >= 0 { close(descriptor) }
  }
}
