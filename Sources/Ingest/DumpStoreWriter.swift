import Crypto
import Foundation

/// Streams one dump into a temporary file while hashing it; `commit()` moves it under its hash.
final class DumpStoreWriter {
  private let store: DumpStore
  private let temporaryPath: String
  private var fd: Int32
  private var hasher = SHA256()
  private(set) var byteCount: Int64 = 0

  init(store: DumpStore, temporaryPath: (path: String, fd: Int32)) {
    self.store = store
    self.temporaryPath = temporaryPath.path
    fd = temporaryPath.fd
  }

  deinit { discard() }

  /// Appends bytes.
  func write(_ bytes: UnsafeRawBufferPointer) throws(IngestError) {
    hasher.update(bufferPointer: bytes)
    try FileWriting.writeAll(fd: fd, bytes: bytes, path: temporaryPath)
    byteCount += Int64(bytes.count)
  }

  /// Finishes the file and places it at `<root>/ab/<sha256>.dmp`; returns the hash.
  func commit() throws(IngestError) -> String {
    let digest = HexDigest.string(hasher.finalize())
    if close(fd) != 0 {
      fd = -1
      throw .store("cannot write \(temporaryPath): \(String(cString: strerror(errno)))")
    }
    fd = -1
    let final = store.path(sha256: digest)
    if access(final, F_OK) == 0 {
      // Already stored (same content from another archive or an earlier run).
      unlink(temporaryPath)
      return digest
    }
    let folder = "\(store.root)/\(digest.prefix(2))"
    if mkdir(folder, 0o755) != 0 && errno != EEXIST {
      unlink(temporaryPath)
      throw .store("cannot create \(folder): \(String(cString: strerror(errno)))")
    }
    if rename(temporaryPath, final) != 0 {
      let message = String(cString: strerror(errno))
      unlink(temporaryPath)
      throw .store("cannot move a dump into \(final): \(message)")
    }
    return digest
  }

  /// Abandons the file.
  func discard() {
    if fd >= 0 {
      close(fd)
      fd = -1
      unlink(temporaryPath)
    }
  }
}
