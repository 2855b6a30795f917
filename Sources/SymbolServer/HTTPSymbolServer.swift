import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Symbols
import Synchronization

/// Fetches symbol files from HTTP(S) symbol servers the way symsrv does, into a downstream cache.
///
/// For a key `<folder>/<index>/<file>` it asks, in order: the file; its compressed form
/// (`<fil>_`, a CAB, expanded here); `file.ptr` (`PATH:` a URL under the same server or a local
/// file, `MSG:` a reason); then the same names in lower case when they differ (many servers are
/// case-sensitive; Microsoft's is not). A server with `index2.txt` at its base is two-tier
/// (`<first two letters>/<folder>/…`). A `.sym` is asked for only as a plain file.
///
/// Every download streams to a temporary file inside the cache and is renamed into place only
/// after the size cap, the expansion and the identity check pass; anything else is removed. 404s
/// are remembered on disk (`<cache>/.crashsift-misses`) until `missExpiry`. 5xx answers,
/// timeouts and connection errors are retried with doubling waits, then reported `unavailable`
/// (the pipeline defers the dump); a server that ended a fetch unavailable is skipped by this
/// process for `unavailableCooldown`.
public final class HTTPSymbolServer: SymbolServerClient {
  public let configuration: SymbolServerConfiguration
  private let clients = Mutex<[String: HTTPClient]>([:])
  private let tiers = Mutex<[String: Bool]>([:])
  private let gates = Mutex<[String: DispatchSemaphore]>([:])
  private let downUntil = Mutex<[String: Date]>([:])
  private let counters = Mutex<Counters>(Counters())
  private let tls: TLSConfiguration

  /// What this process asked and got, for summaries and tests.
  public struct Counters: Sendable, Equatable {
    public var requests = 0
    public var downloadedBytes: Int64 = 0
    public var found = 0
    public var notFound = 0
    public var rememberedMisses = 0
    public var unavailable = 0
    public var rejected = 0
  }

  public init(configuration: SymbolServerConfiguration) throws(SymbolServerError) {
    self.configuration = configuration
    var tls = TLSConfiguration.makeClientConfiguration()
    if let file = configuration.extraCertificateFile {
      do {
        let extra = try NIOSSLCertificate.fromPEMFile(file)
        tls.additionalTrustRoots = [.certificates(extra)]
      } catch {
        throw SymbolServerError("CRASHSIFT_SYMBOL_CA_FILE: cannot read certificates from \(file)")
      }
    }
    self.tls = tls
  }

  deinit {
    for client in clients.withLock({ Array($0.values) }) { try? client.syncShutdown() }
  }

  public var statistics: Counters { counters.withLock { $0 } }

  public func fetch(_ key: SymbolStoreKey, from server: String, into cache: String) -> RemoteFetch {
    let outcome = fetchCounted(key, from: server, into: cache)
    counters.withLock { counters in
      switch outcome {
      case .found: counters.found += 1
      case .notFound: counters.notFound += 1
      case .unavailable: counters.unavailable += 1
      case .rejected: counters.rejected += 1
      }
    }
    return outcome
  }

  private func fetchCounted(_ key: SymbolStoreKey, from server: String, into cache: String)
    -> RemoteFetch
  {
    let shown = SymbolPath.redacted(server)
    guard key.isSafe else { return .rejected("\(key) is not a safe store key") }
    guard let base = URLParts(server) else { return .rejected("\(shown) is not an http(s) URL") }
    let misses = MissCache(cache: cache, server: server, expiry: configuration.missExpiry)
    if let remembered = misses.remembered(key) {
      counters.withLock { $0.rememberedMisses += 1 }
      return .notFound(remembered)
    }
    if let until = downUntil.withLock({ $0[base.origin] }), until > Date() {
      return .unavailable("\(shown) did not answer earlier in this run; asked again next run")
    }
    let lock = FetchLock(cache: cache, key: key)
    defer { withExtendedLifetime(lock) {} }
    // Another worker may have fetched the file, or found it missing, while this one waited; a
    // thread of this process may have found the server down meanwhile.
    if let until = downUntil.withLock({ $0[base.origin] }), until > Date() {
      return .unavailable("\(shown) did not answer earlier in this run; asked again next run")
    }
    let destination = "\(cache)/\(key.folder)/\(key.index)/\(key.file)"
    if FileManager.default.fileExists(atPath: destination) { return .found(destination) }
    if let remembered = misses.remembered(key) {
      counters.withLock { $0.rememberedMisses += 1 }
      return .notFound(remembered)
    }
    let deadline = Date().addingTimeInterval(configuration.totalTimeout)
    let root = server.hasSuffix("/") ? String(server.dropLast()) : server
    let tiered: Bool
    switch twoTier(root, deadline: deadline) {
    case .failure(let failure): return markDown(base, failure.outcome)
    case .success(let answer): tiered = answer
    }
    // What was asked, per folder: `crashme.pdb/<ID>/{crashme.pdb, crashme.pd_, file.ptr}` under
    // the server named once. The reason is stored with every frame of the module, so it is kept
    // short without losing a URL.
    var tried: [[String]] = []
    var variants = [key]
    let lower = SymbolStoreKey(
      kind: key.kind, folder: key.folder.lowercased(), index: key.index,
      file: key.file.lowercased())
    if lower != key { variants.append(lower) }
    for variant in variants {
      let prefix = tiered ? "/" + variant.folder.prefix(2) : ""
      let folderURL = "\(root)\(prefix)/\(variant.folder)/\(variant.index)"
      var names = [variant.file]
      if variant.kind != .breakpad { names += [variant.compressedFile, "file.ptr"] }
      let relative =
        "\(prefix.dropFirst())\(prefix.isEmpty ? "" : "/")\(variant.folder)/\(variant.index)"
      var asked: [String] = []
      var said: [String] = []
      defer {
        let list = asked.count == 1 ? asked[0] : "{\(asked.joined(separator: ", "))}"
        tried.append(["\(relative)/\(list)"] + said)
      }
      for name in names {
        let url = "\(folderURL)/\(name)"
        asked.append(name)
        let result: Attempt
        if name == "file.ptr" {
          result = pointer(url, base: base, key: key, cache: cache, deadline: deadline)
        } else {
          result = download(
            url, key: key, cache: cache, compressed: name != variant.file, deadline: deadline)
        }
        switch result {
        case .placed(let path): return .found(path)
        case .missing: continue
        case .message(let text): said.append("file.ptr says: \(text)")
        case .failed(let failure):
          if case .unavailable = failure.outcome { return markDown(base, failure.outcome) }
          return failure.outcome
        }
      }
    }
    let reason = "not on \(shown): \(tried.joined().joined(separator: ", "))"
    misses.remember(key, reason: reason)
    return .notFound(reason)
  }

  private func markDown(_ base: URLParts, _ outcome: RemoteFetch) -> RemoteFetch {
    if case .unavailable = outcome {
      let until = Date().addingTimeInterval(configuration.unavailableCooldown)
      downUntil.withLock { $0[base.origin] = until }
    }
    return outcome
  }

  // MARK: - One attempt

  struct Failure: Error {
    var outcome: RemoteFetch
  }

  enum Attempt {
    case placed(String)
    case missing
    case message(String)
    case failed(Failure)
  }

  /// Whether the server is two-tier, asked once per server per process.
  private func twoTier(_ root: String, deadline: Date) -> Result<Bool, Failure> {
    if let known = tiers.withLock({ $0[root] }) { return .success(known) }
    let scratch = FileManager.default.temporaryDirectory.path
    switch get(
      "\(root)/index2.txt", into: nil, limit: 1 << 16, deadline: deadline, scratch: scratch)
    {
    case .failure(let failure): return .failure(failure)
    case .success(let status):
      let tiered = status == 200
      tiers.withLock { $0[root] = tiered }
      return .success(tiered)
    }
  }

  /// Downloads `url` into the cache under `key`, expanding it when `compressed`.
  private func download(
    _ url: String, key: SymbolStoreKey, cache: String, compressed: Bool, deadline: Date
  ) -> Attempt {
    let staging = "\(cache)/.crashsift-partial"
    do {
      try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
    } catch {
      return .failed(Failure(outcome: .rejected("cannot create \(staging): \(error)")))
    }
    let temporary = "\(staging)/\(key.file).\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
    defer { unlink(temporary) }
    switch get(
      url, into: temporary, limit: configuration.maximumFileSize, deadline: deadline,
      scratch: staging)
    {
    case .failure(let failure): return .failed(failure)
    case .success(let status):
      guard status == 200 else { return .missing }
    }
    var candidate = temporary
    let expanded = temporary + ".expanded"
    defer { unlink(expanded) }
    if compressed {
      do {
        candidate = try CompressedSymbolFile.expand(temporary, to: expanded)
      } catch {
        return .failed(
          Failure(outcome: .rejected("\(SymbolPath.redacted(url)): \(error.description)")))
      }
    }
    return place(candidate, key: key, cache: cache, from: SymbolPath.redacted(url))
  }

  /// Follows a `file.ptr`: `PATH:` a URL under the same server, or a local file; `MSG:` text.
  private func pointer(
    _ url: String, base: URLParts, key: SymbolStoreKey, cache: String, deadline: Date
  ) -> Attempt {
    let staging = "\(cache)/.crashsift-partial"
    try? FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
    let temporary = "\(staging)/file.ptr.\(getpid()).\(UInt64.random(in: 0...UInt64.max))"
    defer { unlink(temporary) }
    switch get(url, into: temporary, limit: 64 << 10, deadline: deadline, scratch: staging) {
    case .failure(let failure): return .failed(failure)
    case .success(let status): guard status == 200 else { return .missing }
    }
    let text =
      ((try? String(contentsOfFile: temporary, encoding: .utf8)) ?? "")
      .trimmingCharacters(in: .whitespacesAndNewlines)
    let shown = SymbolPath.redacted(url)
    if text.hasPrefix("MSG:") {
      return .message(String(text.dropFirst(4)).trimmingCharacters(in: .whitespaces))
    }
    let target = text.hasPrefix("PATH:") ? String(text.dropFirst(5)) : text
    if let targetURL = URLParts(target) {
      guard base.contains(targetURL) else {
        return .failed(
          Failure(
            outcome: .rejected(
              "\(shown) points outside the server (\(SymbolPath.redacted(target)))")))
      }
      let compressed = target.hasSuffix("_") && !key.file.hasSuffix("_")
      return download(target, key: key, cache: cache, compressed: compressed, deadline: deadline)
    }
    // A local path (symsrv's UNC shares mounted here): used only if it exists and passes the
    // identity check; it is copied so the cache holds every file it names.
    guard target.hasPrefix("/"), FileManager.default.fileExists(atPath: target) else {
      return .message("\(shown) points to \(target), which does not exist here")
    }
    let temporary2 = temporary + ".copy"
    defer { unlink(temporary2) }
    guard (try? FileManager.default.copyItem(atPath: target, toPath: temporary2)) != nil else {
      return .message("\(shown) points to \(target), which cannot be read")
    }
    return place(temporary2, key: key, cache: cache, from: target)
  }

  /// Verifies `candidate` and renames it to `<cache>/<folder>/<index>/<file>`.
  private func place(_ candidate: String, key: SymbolStoreKey, cache: String, from source: String)
    -> Attempt
  {
    if let mismatch = StoredFileIdentity.mismatch(candidate, key: key) {
      return .failed(Failure(outcome: .rejected("\(source) \(mismatch); discarded")))
    }
    let folder = "\(cache)/\(key.folder)/\(key.index)"
    let destination = "\(folder)/\(key.file)"
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      return .failed(Failure(outcome: .rejected("cannot create \(folder): \(error)")))
    }
    guard rename(candidate, destination) == 0 else {
      return .failed(Failure(outcome: .rejected("cannot move the download to \(destination)")))
    }
    return .placed(destination)
  }

  // MARK: - HTTP

  /// GET `url` into `path` (or nowhere), with retries; the final status, or why there is none.
  private func get(_ url: String, into path: String?, limit: Int64, deadline: Date, scratch: String)
    -> Result<UInt, Failure>
  {
    let shown = SymbolPath.redacted(url)
    guard let parts = URLParts(url) else {
      return .failure(Failure(outcome: .rejected("\(shown) is not an http(s) URL")))
    }
    let gate = self.gate(parts.origin)
    var delay = configuration.retryDelay
    var last = ""
    for attempt in 0...max(0, configuration.retries) {
      if attempt > 0 {
        guard Date().addingTimeInterval(delay) < deadline else { break }
        Thread.sleep(forTimeInterval: delay)
        delay *= 2
      }
      gate.wait()
      let result = once(url, parts: parts, into: path, limit: limit, deadline: deadline)
      gate.signal()
      switch result {
      case .answered(let status) where status >= 500 || status == 429 || status == 408:
        last = "\(shown) answered \(status)"
      case .answered(let status):
        return .success(status)
      case .transient(let why):
        last = "\(shown): \(why)"
      case .fatal(let outcome):
        return .failure(Failure(outcome: outcome))
      }
    }
    return .failure(Failure(outcome: .unavailable(last)))
  }

  enum Once {
    case answered(UInt)
    case transient(String)
    case fatal(RemoteFetch)
  }

  private func once(
    _ url: String, parts: URLParts, into path: String?, limit: Int64, deadline: Date
  )
    -> Once
  {
    counters.withLock { $0.requests += 1 }
    let shown = SymbolPath.redacted(url)
    var descriptor: Int32 = -1
    if let path {
      descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      guard descriptor >= 0 else {
        return .fatal(.rejected("cannot write \(path): \(String(cString: strerror(errno)))"))
      }
    } else {
      descriptor = open("/dev/null", O_WRONLY | O_CLOEXEC)
    }
    defer { if descriptor >= 0 { close(descriptor) } }
    let request: HTTPClient.Request
    do {
      var headers = HTTPHeaders()
      headers.add(name: "User-Agent", value: "crashsift-symsrv")
      for header in configuration.headers where url.hasPrefix(header.prefix) {
        headers.add(name: header.name, value: header.value)
      }
      request = try HTTPClient.Request(url: url, method: .GET, headers: headers)
    } catch {
      return .fatal(.rejected("\(shown) is not a valid URL"))
    }
    let requestDeadline = min(deadline, Date().addingTimeInterval(configuration.requestTimeout))
    let remaining = max(0, requestDeadline.timeIntervalSinceNow)
    let delegate = DownloadDelegate(descriptor: descriptor, limit: limit)
    let client = client(for: parts)
    do {
      let response = try client.execute(
        request: request, delegate: delegate,
        deadline: .now() + .nanoseconds(Int64(remaining * 1e9))
      ).wait()
      if response.status == 200 {
        counters.withLock { $0.downloadedBytes += response.bytes }
        if let expected = response.expected, expected != response.bytes {
          return .transient("body ended after \(response.bytes) of \(expected) bytes")
        }
      }
      return .answered(response.status)
    } catch is DownloadDelegate.TooLarge {
      return .fatal(
        .rejected("\(shown) is larger than the \(configuration.maximumFileSize)-byte cap"))
    } catch is DownloadDelegate.WriteFailed {
      return .fatal(.rejected("cannot write the download from \(shown) (disk full?)"))
    } catch let error as HTTPClientError {
      if error == .redirectCycleDetected || error == .redirectLimitReached {
        return .fatal(.rejected("\(shown): redirect loop (\(error))"))
      }
      if error == .invalidURL || error == .emptyHost || error == .emptyScheme {
        return .fatal(.rejected("\(shown): \(error)"))
      }
      return .transient(Self.describe(error))
    } catch {
      return .transient(Self.describe(error))
    }
  }

  static func describe(_ error: any Error) -> String {
    if let http = error as? HTTPClientError {
      switch http {
      case .deadlineExceeded: return "timed out"
      case .readTimeout: return "read timed out"
      case .connectTimeout: return "connect timed out"
      case .remoteConnectionClosed: return "the server closed the connection"
      default: return "\(http)"
      }
    }
    let text = "\(error)"
    if text.lowercased().contains("connection refused") { return "connection refused" }
    return text
  }

  private func gate(_ origin: String) -> DispatchSemaphore {
    gates.withLock { gates in
      if let gate = gates[origin] { return gate }
      let gate = DispatchSemaphore(value: configuration.maximumConnectionsPerServer)
      gates[origin] = gate
      return gate
    }
  }

  /// One client per proxy choice (the proxy is a client-wide setting in AsyncHTTPClient).
  private func client(for url: URLParts) -> HTTPClient {
    let proxy = configuration.proxy(for: url)
    let key = proxy.map { "\($0.host):\($0.port)" } ?? "direct"
    return clients.withLock { clients in
      if let client = clients[key] { return client }
      var settings = HTTPClient.Configuration(
        tlsConfiguration: tls,
        redirectConfiguration: .follow(max: 8, allowCycles: false),
        timeout: .init(
          connect: .milliseconds(Self.milliseconds(configuration.connectTimeout)),
          read: .milliseconds(Self.milliseconds(configuration.readTimeout))),
        proxy: proxy.map { .server(host: $0.host, port: $0.port) },
        decompression: .disabled)
      settings.connectionPool = .init(
        idleTimeout: .seconds(60),
        concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maximumConnectionsPerServer)
      let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: settings)
      clients[key] = client
      return client
    }
  }

  /// Seconds as NIO's integer milliseconds, between 1 ms and a day whatever the setting says
  /// (a NaN, a negative or a huge value would otherwise trap in the conversion).
  static func milliseconds(_ seconds: TimeInterval) -> Int64 {
    guard seconds.isFinite else { return 86_400_000 }
    return Int64(min(max(seconds, 0.001), 86_400) * 1000)
  }
}
