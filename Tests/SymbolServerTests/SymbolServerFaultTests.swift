import CrashsiftTestSupport
import Foundation
import SymbolServer
import Symbols
import Testing

/// What real servers and networks do wrong, each answered the way the pipeline needs: retried,
/// deferred (`unavailable`), or discarded (`rejected`), and never a partial file in the cache.
@Suite("symbol servers: faults")
struct SymbolServerFaultTests {
  static let store = "\(Corpus.packageRoot)/samples/store"
  static let id = "07824A75B53B8A494C4C44205044422E1"
  static let key = SymbolStoreKey.pdb(debugFile: "contoso-app.pdb", debugID: id)
  static let keyPath = "/contoso-app.pdb/\(id)/contoso-app.pdb"

  /// Nothing but remembered misses and the empty per-key lock files may be in the cache after a
  /// failed fetch.
  static func expectNothingCached(
    _ cache: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let all = TemporaryDirectory.files(under: cache)
    let files = all.filter {
      !$0.hasPrefix(".crashsift-misses/") && !$0.hasPrefix(".crashsift-locks/")
    }
    #expect(files.isEmpty, "left in the cache: \(files)", sourceLocation: sourceLocation)
    for lock in all where lock.hasPrefix(".crashsift-locks/") {
      let size = (try? FileManager.default.attributesOfItem(atPath: "\(cache)/\(lock)"))?[.size]
      #expect(size as? Int == 0, "\(lock) holds data", sourceLocation: sourceLocation)
    }
  }

  @Test("500 then success: retried, found")
  func retriedAfter500() throws {
    let server = try LoopbackSymbolServer(root: Self.store)
    defer { server.stop() }
    server.on(Self.keyPath, .status(500), .status(503), .serve)
    let cache = TemporaryDirectory()
    let client = try SymbolServerFetchTests.client()
    let outcome = client.fetch(Self.key, from: server.baseURL, into: cache.path)
    guard case .found = outcome else {
      Issue.record("\(outcome)")
      return
    }
    #expect(server.log.filter { $0 == Self.keyPath }.count == 3)
  }

  @Test("404 is not retried and is a miss; 5xx on every attempt is unavailable, not a miss")
  func notFoundVersusUnavailable() throws {
    let server = try LoopbackSymbolServer(root: Self.store)
    defer { server.stop() }
    server.on(Self.keyPath, .status(502))
    let cache = TemporaryDirectory()
    let outcome = try SymbolServerFetchTests.client { $0.retries = 2 }.fetch(
      Self.key, from: server.baseURL, into: cache.path)
    guard case .unavailable(let why) = outcome else {
      Issue.record("\(outcome)")
      return
    }
    #expect(why.contains("answered 502"))
    #expect(server.log.filter { $0 == Self.keyPath }.count == 3)
    #expect(TemporaryDirectory.files(under: "\(cache.path)/.crashsift-misses").isEmpty)
    Self.expectNothingCached(cache.path)
  }

  @Test("connection refused: unavailable at once for the rest of the run; a later run finds it")
  func connectionRefused() throws {
    let probe = try LoopbackSymbolServer(root: Self.store)
    let url = probe.baseURL
    probe.stop()
    let cache = TemporaryDirectory()
    // AsyncHTTPClient keeps trying to connect until the connect timeout; 1 s keeps this short.
    let client = try SymbolServerFetchTests.client {
      $0.retries = 1
      $0.connectTimeout = 1
    }
    guard case .unavailable(let why) = client.fetch(Self.key, from: url, into: cache.path) else {
      Issue.record("not unavailable")
      return
    }
    #expect(why.contains("refused") || why.contains("connect"), "\(why)")
    // The next key in the same run is not waited for.
    let other = SymbolStoreKey.pdb(
      debugFile: "ntdll.pdb", debugID: "00000000000000000000000000000000" + "1")
    guard case .unavailable(let skip) = client.fetch(other, from: url, into: cache.path) else {
      Issue.record("not skipped")
      return
    }
    #expect(skip.contains("did not answer earlier in this run"))
    #expect(client.statistics.requests == 2, "index2.txt twice, then nothing")
    Self.expectNothingCached(cache.path)
    // The server is back on the same port: the next run (a new client) gets the file.
    let back = try LoopbackSymbolServer(root: Self.store, port: probe.port)
    defer { back.stop() }
    let outcome = try SymbolServerFetchTests.client().fetch(Self.key, from: url, into: cache.path)
    #expect(outcome == .found("\(cache.path)\(Self.keyPath)"))
  }

  @Test("a server slower than the request timeout: unavailable, nothing cached")
  func slowServer() throws {
    let server = try LoopbackSymbolServer(root: Self.store)
    defer { server.stop() }
    server.on(Self.keyPath, .delay(.seconds(5)))
    let cache = TemporaryDirectory()
    let client = try SymbolServerFetchTests.client {
      $0.requestTimeout = 0.3
      $0.retries = 1
    }
    let outcome = client.fetch(Self.key, from: server.baseURL, into: cache.path)
    guard case .unavailable(let why) = outcome else {
      Issue.record("\(outcome)")
      return
    }
    #expect(why.contains("timed out"), "\(why)")
    Self.expectNothingCached(cache.path)
  }

  @Test("a truncated body (the connection closes early): retried, then unavailable; nothing cached")
  func truncatedBody() throws {
    let server = try LoopbackSymbolServer(root: Self.store)
    defer { server.stop() }
    server.on(Self.keyPath, .truncate(1000))
    let cache = TemporaryDirectory()
    let outcome = try SymbolServerFetchTests.client { $0.retries = 1 }.fetch(
      Self.key, from: server.baseURL, into: cache.path)
    guard case .unavailable = outcome else {
      Issue.record("\(outcome)")
      return
    }
    #expect(server.log.filter { $0 == Self.keyPath }.count == 2)
    Self.expectNothingCached(cache.path)
  }

  @Test("a body larger than the cap: rejected mid-stream, nothing cached")
  func overCap() throws {
    let server = try LoopbackSymbolServer(root: Self.store)
    defer { server.stop() }
    let cache = TemporaryDirectory()
    let outcome = try SymbolServerFetchTests.client { $0.maximumFileSize = 4096 }.fetch(
      Self.key, from: server.baseURL, into: cache.path)
    guard case .rejected(let why) = outcome else {
      Issue.record("\(outcome)")
      return
    }
    #expect(why.contains("larger than the 4096-byte cap"))
    Self.expectNothingCached(cache.path)
  }

  @Test("a PDB with another GUID under the key: discarded, not cached, not remembered as a miss")
  func wrongIdentity() throws {
    let server = try LoopbackSymbolServer(root: Self.store)
    defer { server.stop() }
    let other = try #require(
      FileManager.default.contents(
        atPath: "\(Self.store)/ntdll.pdb/"
          + ((try? FileManager.default.contentsOfDirectory(atPath: "\(Self.store)/ntdll.pdb"))?
            .first ?? "") + "/ntdll.pdb"))
    server.on(Self.keyPath, .body([UInt8](other)))
    let cache = TemporaryDirectory()
    let outcome = try SymbolServerFetchTests.client().fetch(
      Self.key, from: server.baseURL, into: cache.path)
    guard case .rejected(let why) = outcome else {
      Issue.record("\(outcome)")
      return
    }
    #expect(why.contains("not \(Self.id)") && why.contains("discarded"), "\(why)")
    Self.expectNothingCached(cache.path)
    #expect(TemporaryDirectory.files(under: "\(cache.path)/.crashsift-misses").isEmpty)
    // An error page served with 200 is refused the same way.
    server.on(Self.keyPath, .body(Array("<html>Sign in</html>".utf8)))
    guard
      case .rejected(let page) = try SymbolServerFetchTests.client().fetch(
        Self.key, from: server.baseURL, into: cache.path)
    else {
      Issue.record("an HTML page was accepted")
      return
    }
    #expect(page.contains("not a readable PDB"))
    Self.expectNothingCached(cache.path)
  }

  @Test("a redirect loop: rejected after a bounded number of hops")
  func redirectLoop() throws {
    let server = try LoopbackSymbolServer(root: Self.store)
    defer { server.stop() }
    server.on(Self.keyPath, .redirect("/loop/a"))
    server.on("/loop/a", .redirect("/loop/b"))
    server.on("/loop/b", .redirect("/loop/a"))
    let cache = TemporaryDirectory()
    let outcome = try SymbolServerFetchTests.client().fetch(
      Self.key, from: server.baseURL, into: cache.path)
    guard case .rejected(let why) = outcome else {
      Issue.record("\(outcome)")
      return
    }
    #expect(why.contains("redirect loop"))
    #expect(server.log.count < 12)
    Self.expectNothingCached(cache.path)
  }

  @Test("file.ptr outside the server's base, or to a local path that does not exist")
  func pointers() throws {
    let dir = TemporaryDirectory()
    let server = try LoopbackSymbolServer(root: dir.path)
    defer { server.stop() }
    let elsewhere = try LoopbackSymbolServer(root: Self.store)
    defer { elsewhere.stop() }
    let pointer = dir.file("contoso-app.pdb/\(Self.id)/file.ptr")
    try Data("PATH:\(elsewhere.baseURL)\(Self.keyPath)".utf8).write(
      to: URL(fileURLWithPath: pointer))
    let cache = TemporaryDirectory()
    let outside = try SymbolServerFetchTests.client().fetch(
      Self.key, from: "\(server.baseURL)/", into: cache.path)
    guard case .rejected(let why) = outside else {
      Issue.record("\(outside)")
      return
    }
    #expect(why.contains("points outside the server"))
    #expect(elsewhere.log.isEmpty)
    try Data("PATH:/nonexistent/share/contoso-app.pdb\r\n".utf8).write(
      to: URL(fileURLWithPath: pointer))
    let missing = try SymbolServerFetchTests.client().fetch(
      Self.key, from: server.baseURL, into: cache.path)
    guard case .notFound(let reason) = missing else {
      Issue.record("\(missing)")
      return
    }
    #expect(reason.contains("/nonexistent/share/contoso-app.pdb, which does not exist here"))
    try Data("MSG: withheld by policy".utf8).write(to: URL(fileURLWithPath: pointer))
    let message = try SymbolServerFetchTests.client { $0.missExpiry = 0 }.fetch(
      Self.key, from: server.baseURL, into: TemporaryDirectory().path)
    guard case .notFound(let said) = message else {
      Issue.record("\(message)")
      return
    }
    #expect(said.contains("file.ptr says: withheld by policy"))
    Self.expectNothingCached(cache.path)
  }

  @Test("headers from CRASHSIFT_SYMBOL_HEADERS reach the server, with ${VAR} from the environment")
  func headersFromEnvironment() throws {
    let dir = TemporaryDirectory()
    let file = dir.file("headers.json")
    try Data(#"{"https://symbols.example/": {"Authorization": "Bearer ${TOKEN}"}}"#.utf8).write(
      to: URL(fileURLWithPath: file))
    let configuration = try SymbolServerConfiguration.fromEnvironment([
      "CRASHSIFT_SYMBOL_HEADERS": file, "TOKEN": "s3cret", "HTTPS_PROXY": "http://proxy.local:3128",
      "NO_PROXY": "localhost,.internal",
    ])
    #expect(
      configuration.headers == [
        .init(prefix: "https://symbols.example/", name: "Authorization", value: "Bearer s3cret")
      ])
    #expect(configuration.httpsProxy == .init(host: "proxy.local", port: 3128))
    #expect(configuration.noProxy == ["localhost", ".internal"])
    #expect(throws: SymbolServerError.self) {
      try SymbolServerConfiguration.fromEnvironment(["CRASHSIFT_SYMBOL_HEADERS": file])
    }
    // Sent to the server its prefix names, and to no other.
    let server = try LoopbackSymbolServer(root: Self.store)
    defer { server.stop() }
    try Data(#"{"\#(server.baseURL)/": {"Authorization": "Bearer ${TOKEN}"}}"#.utf8).write(
      to: URL(fileURLWithPath: file))
    var local = try SymbolServerConfiguration.fromEnvironment([
      "CRASHSIFT_SYMBOL_HEADERS": file, "TOKEN": "s3cret",
    ])
    local.retryDelay = 0.01
    let cache = TemporaryDirectory()
    let outcome = try HTTPSymbolServer(configuration: local).fetch(
      Self.key, from: server.baseURL, into: cache.path)
    #expect(outcome == .found("\(cache.path)\(Self.keyPath)"))
    #expect(server.authorizations == ["Bearer s3cret", "Bearer s3cret"])
    let other = try LoopbackSymbolServer(root: Self.store)
    defer { other.stop() }
    _ = try HTTPSymbolServer(configuration: local).fetch(
      Self.key, from: other.baseURL, into: TemporaryDirectory().path)
    #expect(other.authorizations.isEmpty)
    #expect(throws: SymbolServerError.self) {
      try SymbolServerConfiguration.fromEnvironment(["CRASHSIFT_SYMBOL_RETRIES": "many"])
    }
    // Absurd timeouts are long waits, not a trap when NIO's milliseconds are made from them.
    var huge = try SymbolServerConfiguration.fromEnvironment([
      "CRASHSIFT_SYMBOL_TIMEOUT": "1e30", "CRASHSIFT_SYMBOL_CONNECT_TIMEOUT": "1e300",
    ])
    huge.readTimeout = .infinity
    #expect(huge.requestTimeout == 86_400)
    #expect(huge.connectTimeout == 3_600)
    let target = TemporaryDirectory()
    let answer = try HTTPSymbolServer(configuration: huge).fetch(
      Self.key, from: server.baseURL, into: target.path)
    #expect(answer == .found("\(target.path)\(Self.keyPath)"))
  }
}
