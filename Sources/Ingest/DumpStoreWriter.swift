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
    try store.place(temporary: temporaryPath, sha256: digest)
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
