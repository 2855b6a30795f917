import Foundation

/// `write(2)` until every byte is out, with errors worded for a user (disk full says so).
enum FileWriting {
  static func writeAll(fd: Int32, bytes: UnsafeRawBufferPointer, path: String) throws(IngestError) {
    var offset = 0
    while offset < bytes.count {
      let written = Glibc.write(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        if errno == ENOSPC || errno == EDQUOT {
          throw .store("no space left on the device while writing \(path); free space and re-run")
        }
        throw .store("cannot write \(path): \(String(cString: strerror(errno)))")
      }
      offset += written
    }
  }
}
