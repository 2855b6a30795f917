import Foundation

/// Holds a nested archive's bytes so libarchive can open (and seek in) it: in memory while small,
/// spilled to a temporary file in the workspace when larger.
final class NestedArchiveBuffer {
  private let store: DumpStore
  private let inMemoryLimit: Int
  private let maxBytes: Int64
  private var memory: [UInt8] = []
  private var file: (path: String, fd: Int32)?
  private var count: Int64 = 0

  init(store: DumpStore, inMemoryLimit: Int, maxBytes: Int64) throws(IngestError) {
    self.store = store
    self.inMemoryLimit = inMemoryLimit
    self.maxBytes = maxBytes
  }

  deinit {
    if let file {
      close(file.fd)
      unlink(file.path)
    }
  }

  /// Appends bytes; `false` once the buffer would exceed `maxBytes`.
  @discardableResult
  func append(_ bytes: UnsafeRawBufferPointer) throws(IngestError) -> Bool {
    guard count + Int64(bytes.count) <= maxBytes else { return false }
    count += Int64(bytes.count)
    if file == nil && memory.count + bytes.count > inMemoryLimit {
      let spill = try store.makeTemporaryFile(prefix: "nested")
      file = spill
      let result = memory.withUnsafeBytes { existing in
        Result { () throws(IngestError) in
          try FileWriting.writeAll(fd: spill.fd, bytes: existing, path: spill.path)
        }
      }
      try result.get()
      memory = []
    }
    if let file {
      try FileWriting.writeAll(fd: file.fd, bytes: bytes, path: file.path)
    } else {
      memory.append(contentsOf: bytes)
    }
    return true
  }

  /// A reader over the buffered bytes; it stays valid after this buffer is gone only for the
  /// in-memory case (the reader owns a copy), so keep the buffer alive while reading.
  func openReader() throws(IngestError) -> ArchiveReader {
    if let file { return try ArchiveReader(path: file.path) }
    let result = memory.withUnsafeBytes { bytes in
      Result { () throws(IngestError) in try ArchiveReader(copying: bytes) }
    }
    return try result.get()
  }
}
