import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Streams one response body to a file, stopping at a size cap. A non-200 answer writes nothing:
/// its status is all the fetcher needs, and an error page must never become a "PDB".
final class DownloadDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
  struct Response: Sendable {
    var status: UInt
    var bytes: Int64
    /// `Content-Length`, when the server sent one.
    var expected: Int64?
  }

  struct TooLarge: Error {}
  struct WriteFailed: Error {}

  // Mutated only on the request's event loop, one callback at a time (AsyncHTTPClient's
  // delegate contract); read by the caller only after the task's future completes.
  private let descriptor: Int32
  private let limit: Int64
  private var status: UInt = 0
  private var bytes: Int64 = 0
  private var expected: Int64?

  /// `descriptor` is open for writing and owned by the caller.
  init(descriptor: Int32, limit: Int64) {
    self.descriptor = descriptor
    self.limit = limit
  }

  func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead)
    -> EventLoopFuture<Void>
  {
    status = head.status.code
    expected = head.headers.first(name: "Content-Length").flatMap { Int64($0) }
    if status == 200, let expected, expected > limit {
      return task.eventLoop.makeFailedFuture(TooLarge())
    }
    return task.eventLoop.makeSucceededVoidFuture()
  }

  func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer)
    -> EventLoopFuture<Void>
  {
    guard status == 200 else { return task.eventLoop.makeSucceededVoidFuture() }
    bytes += Int64(buffer.readableBytes)
    if bytes > limit { return task.eventLoop.makeFailedFuture(TooLarge()) }
    // A blocking write on the event loop: bodies go to the page cache, and a worker has one
    // download in flight per thread, so nothing else waits on this loop for long.
    let ok = buffer.withUnsafeReadableBytes { raw -> Bool in
      var offset = 0
      while offset < raw.count {
        let written = write(descriptor, raw.baseAddress.map { $0 + offset }, raw.count - offset)
        if written < 0 {
          if errno == EINTR { continue }
          return false
        }
        offset += written
      }
      return true
    }
    return ok
      ? task.eventLoop.makeSucceededVoidFuture() : task.eventLoop.makeFailedFuture(WriteFailed())
  }

  func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
    Response(status: status, bytes: bytes, expected: expected)
  }
}
