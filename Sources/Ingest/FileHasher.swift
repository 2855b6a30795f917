import Crypto
import Foundation

/// SHA-256 of a whole file, streamed in 1 MiB reads.
public enum FileHasher {
  /// Hashes the file at `path`; lower-case hex.
  public static func sha256(path: String) throws(IngestError) -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    defer { buffer.deallocate() }
    var hasher = SHA256()
    while true {
      let count = read(fd, buffer.baseAddress, buffer.count)
      if count < 0 {
        if errno == EINTR { continue }
        throw .io("cannot read \(path): \(String(cString: strerror(errno)))")
      }
      if count == 0 { break }
      hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
    }
    return HexDigest.string(hasher.finalize())
  }
}
