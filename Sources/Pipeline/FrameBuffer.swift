import Foundation

/// Bytes read from a pipe and the complete `WireFormat` frames in them.
struct FrameBuffer {
  private var bytes: [UInt8] = []
  private var start = 0

  /// Appends what `read(2)` returned.
  mutating func append(_ chunk: UnsafeRawBufferPointer) {
    if start > 0 && start == bytes.count {
      bytes.removeAll(keepingCapacity: true)
      start = 0
    }
    bytes.append(contentsOf: chunk)
  }

  /// The next complete frame's payload, nil when more bytes are needed.
  mutating func next() throws -> [UInt8]? {
    guard bytes.count - start >= 4 else { return nil }
    var length = 0
    for index in (0..<4).reversed() { length = (length << 8) | Int(bytes[start + index]) }
    guard length <= WireFormat.maxFrame else {
      throw WireFormat.Malformed(description: "frame of \(length) bytes is larger than allowed")
    }
    guard bytes.count - start - 4 >= length else { return nil }
    let payload = Array(bytes[(start + 4)..<(start + 4 + length)])
    start += 4 + length
    if start > 1 << 20 {
      bytes.removeFirst(start)
      start = 0
    }
    return payload
  }

  /// Whether bytes of an unfinished frame are waiting.
  var hasPartialFrame: Bool { start < bytes.count }
}

/// Blocking whole-buffer I/O on a file descriptor, retrying interrupted calls.
enum FileDescriptorIO {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Writes every byte; fails on a closed pipe (EPIPE, SIGPIPE being ignored) or another error.
  static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { raw in
        write(fd, raw.baseAddress.map { $0 + offset }, bytes.count - offset)
      }
      if written < 0 {
        if errno == EINTR { continue }
        throw Failure(description: "write: \(String(cString: strerror(errno)))")
      }
      offset += written
    }
  }

  /// Reads one frame, blocking; nil at end of file before any byte of it.
  static func readFrame(_ fd: Int32, into buffer: inout FrameBuffer) throws -> [UInt8]? {
    var chunk = [UInt8](repeating: 0, count: 64 << 10)
    while true {
      if let frame = try buffer.next() { return frame }
      let count = chunk.withUnsafeMutableBytes { raw in read(fd, raw.baseAddress, raw.count) }
      if count < 0 {
        if errno == EINTR { continue }
        throw Failure(description: "read: \(String(cString: strerror(errno)))")
      }
      if count == 0 {
        if buffer.hasPartialFrame { throw Failure(description: "pipe closed inside a message") }
        return nil
      }
      chunk.withUnsafeBytes { raw in buffer.append(UnsafeRawBufferPointer(rebasing: raw[..<count]))
      }
    }
  }
}
