import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A real HTTP(S) server on 127.0.0.1 for the symbol-server tests: serves a folder laid out as a
/// symbol store, logs every request path, and misbehaves on request (status codes, redirects,
/// slow or truncated bodies, oversized bodies) the way real servers and proxies do.
final class LoopbackSymbolServer: Sendable {
  enum Behavior: Sendable {
    /// Answer with this status and an empty body.
    case status(Int)
    /// 302 to this path on the same server.
    case redirect(String)
    /// Wait this long before answering normally.
    case delay(TimeAmount)
    /// Send the headers of the whole file, then only this many bytes, then close.
    case truncate(Int)
    /// Answer 200 with these bytes.
    case body([UInt8])
    /// Serve the file normally.
    case serve
  }

  let root: String
  let port: Int
  let baseURL: String
  private let group: MultiThreadedEventLoopGroup
  private let channel: any Channel
  private let state = Mutex<State>(State())

  private struct State {
    var log: [String] = []
    var authorizations: [String] = []
    var rules: [String: [Behavior]] = [:]
  }

  /// Starts serving `root` on an ephemeral loopback port; with `tls`, over HTTPS with the test
  /// CA's certificate (Tests/SymbolServerTests/certs).
  init(root: String, tls: Bool = false, port requested: Int = 0) throws {
    self.root = root
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    var sslContext: NIOSSLContext?
    if tls {
      let certs = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("certs").path
      let configuration = TLSConfiguration.makeServerConfiguration(
        certificateChain: try NIOSSLCertificate.fromPEMFile("\(certs)/server.pem").map {
          .certificate($0)
        },
        privateKey: .privateKey(try NIOSSLPrivateKey(file: "\(certs)/server-key.pem", format: .pem))
      )
      sslContext = try NIOSSLContext(configuration: configuration)
    }
    let box = Handle()
    let context = sslContext
    let channel = try ServerBootstrap(group: group)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          if let context {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
          }
          try channel.pipeline.syncOperations.configureHTTPServerPipeline()
          try channel.pipeline.syncOperations.addHandler(RequestHandler(server: box))
        }
      }
      .bind(host: "127.0.0.1", port: requested).wait()
    self.group = group
    self.channel = channel
    port = channel.localAddress?.port ?? 0
    baseURL = "\(tls ? "https" : "http")://127.0.0.1:\(port)"
    box.server.withLock { $0 = self }
  }

  func stop() {
    try? channel.close().wait()
    try? group.syncShutdownGracefully()
  }

  /// Every request path so far, in order.
  var log: [String] { state.withLock { $0.log } }

  /// The `Authorization` header of every request that sent one.
  var authorizations: [String] { state.withLock { $0.authorizations } }

  func clearLog() { state.withLock { $0.log.removeAll() } }

  /// Answers for `path` (exact), one per request, the last repeated.
  func on(_ path: String, _ behaviors: Behavior...) {
    state.withLock { $0.rules[path] = behaviors }
  }

  func behavior(for path: String, authorization: String? = nil) -> Behavior {
    state.withLock { state in
      state.log.append(path)
      if let authorization { state.authorizations.append(authorization) }
      guard var list = state.rules[path], let first = list.first else { return .serve }
      if list.count > 1 {
        list.removeFirst()
        state.rules[path] = list
      }
      return first
    }
  }

  /// The file for a request path, if it is inside `root` and exists.
  func file(_ path: String) -> [UInt8]? {
    let parts = path.split(separator: "/")
    guard !parts.contains(where: { $0 == ".." || $0 == "." }) else { return nil }
    var isDirectory: ObjCBool = false
    let local = root + "/" + parts.joined(separator: "/")
    guard FileManager.default.fileExists(atPath: local, isDirectory: &isDirectory),
      !isDirectory.boolValue, let data = FileManager.default.contents(atPath: local)
    else { return nil }
    return [UInt8](data)
  }

  /// Lets channel handlers reach the server, which is fully built only after binding.
  final class Handle: Sendable {
    let server = Mutex<LoopbackSymbolServer?>(nil)
  }
}

/// One connection's requests: GET only, answered per the server's behaviors.
private final class RequestHandler: ChannelInboundHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart

  let server: LoopbackSymbolServer.Handle
  var path = ""
  var authorization: String?

  init(server: LoopbackSymbolServer.Handle) { self.server = server }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head(let head):
      path = String(head.uri.split(separator: "?", maxSplits: 1).first ?? "")
      authorization = head.headers.first(name: "Authorization")
    case .body:
      break
    case .end:
      guard let server = server.server.withLock({ $0 }) else { return }
      answer(
        context: context, server: server,
        behavior: server.behavior(for: path, authorization: authorization))
    }
  }

  func answer(
    context: ChannelHandlerContext, server: LoopbackSymbolServer,
    behavior: LoopbackSymbolServer.Behavior
  ) {
    switch behavior {
    case .status(let code):
      respond(context: context, status: HTTPResponseStatus(statusCode: code), body: [])
    case .redirect(let target):
      var headers = HTTPHeaders()
      headers.add(name: "Location", value: target)
      headers.add(name: "Content-Length", value: "0")
      context.write(
        wrapOutboundOut(
          .head(HTTPResponseHead(version: .http1_1, status: .found, headers: headers))),
        promise: nil)
      context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    case .delay(let amount):
      let loop = context.eventLoop.assumeIsolated()
      loop.scheduleTask(in: amount) {
        self.answer(context: context, server: server, behavior: .serve)
      }
    case .truncate(let count):
      guard let bytes = server.file(path) else {
        respond(context: context, status: .notFound, body: [])
        return
      }
      var headers = HTTPHeaders()
      headers.add(name: "Content-Length", value: String(bytes.count))
      context.write(
        wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
        promise: nil)
      let part = context.channel.allocator.buffer(bytes: bytes.prefix(count))
      context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(part))), promise: nil)
      context.close(promise: nil)
    case .body(let bytes):
      respond(context: context, status: .ok, body: bytes)
    case .serve:
      if let bytes = server.file(path) {
        respond(context: context, status: .ok, body: bytes)
      } else {
        respond(context: context, status: .notFound, body: Array("not found\n".utf8))
      }
    }
  }

  func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, body: [UInt8]) {
    var headers = HTTPHeaders()
    headers.add(name: "Content-Length", value: String(body.count))
    context.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
      promise: nil)
    if !body.isEmpty {
      context.write(
        wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))),
        promise: nil)
    }
    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
  }
}
