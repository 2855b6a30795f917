import Foundation

/// How crashsift talks to symbol servers: timeouts, retries, limits, proxies, extra headers and
/// trusted certificates. `fromEnvironment` reads the settings users set for every tool
/// (`HTTPS_PROXY`, `NO_PROXY`) and crashsift's own (`CRASHSIFT_SYMBOL_*`, README "Symbols from a
/// server").
public struct SymbolServerConfiguration: Sendable {
  /// An extra header sent to every URL that starts with `prefix` (tokens for Azure DevOps,
  /// Artifactory, GitHub packages). Values are never printed.
  public struct Header: Sendable, Equatable {
    public var prefix: String
    public var name: String
    public var value: String

    public init(prefix: String, name: String, value: String) {
      self.prefix = prefix
      self.name = name
      self.value = value
    }
  }

  /// An HTTP proxy (`host:port`), used for https through CONNECT.
  public struct Proxy: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
      self.host = host
      self.port = port
    }
  }

  /// Establishing a connection (TCP and TLS).
  public var connectTimeout: TimeInterval = 10
  /// Silence while reading a response: a server that stops sending mid-body.
  public var readTimeout: TimeInterval = 30
  /// One request, from connecting to the last byte of the body.
  public var requestTimeout: TimeInterval = 300
  /// One key, all names and retries together.
  public var totalTimeout: TimeInterval = 900
  /// Extra attempts after a 5xx, a timeout or a connection error (none after a 404).
  public var retries = 3
  /// The first retry's wait; each later one doubles it.
  public var retryDelay: TimeInterval = 0.5
  /// Requests in flight to one server from one process.
  public var maximumConnectionsPerServer = 4
  /// Largest file accepted, compressed or expanded.
  public var maximumFileSize: Int64 = 4 << 30
  /// How long a miss (404 everywhere) is remembered: a nightly run does not ask again for the
  /// thousands of drivers that ship no symbols, yet notices a PDB uploaded a few days later.
  public var missExpiry: TimeInterval = 3 * 86_400
  /// After a server ends a fetch unavailable, how long later fetches in this process skip it
  /// (they are deferred at once instead of each waiting through its own retries).
  public var unavailableCooldown: TimeInterval = 300
  public var headers: [Header] = []
  /// PEM certificates trusted besides the system's (an internal CA).
  public var extraCertificateFile: String?
  public var httpsProxy: Proxy?
  public var httpProxy: Proxy?
  /// Hosts (and `.domain` suffixes) reached without the proxy; `*` for all.
  public var noProxy: [String] = []

  public init() {}

  /// Settings from the environment:
  /// - `HTTPS_PROXY`/`https_proxy`, `HTTP_PROXY`/`http_proxy`, `NO_PROXY`/`no_proxy`;
  /// - `CRASHSIFT_SYMBOL_HEADERS`: a JSON file `{"URL prefix": {"Header": "value"}}`, where
  ///   `${NAME}` in a value is replaced by the environment variable NAME (tokens stay out of
  ///   the file and out of process lists);
  /// - `CRASHSIFT_SYMBOL_CA_FILE`: extra trusted certificates (PEM);
  /// - `CRASHSIFT_SYMBOL_TIMEOUT` (seconds per request), `CRASHSIFT_SYMBOL_CONNECT_TIMEOUT`
  ///   (seconds to connect, which AsyncHTTPClient keeps retrying until then), `CRASHSIFT_SYMBOL_RETRIES`,
  ///   `CRASHSIFT_SYMBOL_MAX_SIZE` (bytes), `CRASHSIFT_SYMBOL_MISS_EXPIRY` (seconds),
  ///   `CRASHSIFT_SYMBOL_CONNECTIONS` (per server).
  public static func fromEnvironment(
    _ environment: [String: String] = ProcessInfo.processInfo.environment
  ) throws(SymbolServerError) -> SymbolServerConfiguration {
    var configuration = SymbolServerConfiguration()
    func value(_ names: String...) -> String? {
      names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
    }
    configuration.httpsProxy = try value("HTTPS_PROXY", "https_proxy").map(proxy)
    configuration.httpProxy = try value("HTTP_PROXY", "http_proxy").map(proxy)
    configuration.noProxy =
      value("NO_PROXY", "no_proxy")?.split(separator: ",").map {
        $0.trimmingCharacters(in: .whitespaces).lowercased()
      }.filter { !$0.isEmpty } ?? []
    configuration.extraCertificateFile = value("CRASHSIFT_SYMBOL_CA_FILE")
    if let file = value("CRASHSIFT_SYMBOL_HEADERS") {
      configuration.headers = try headers(file: file, environment: environment)
    }
    func number(_ name: String) throws(SymbolServerError) -> Double? {
      guard let text = value(name) else { return nil }
      guard let number = Double(text), number >= 0, number.isFinite else {
        throw SymbolServerError("\(name)=\(text) is not a non-negative number")
      }
      return number
    }
    // Timeouts become NIO's integer milliseconds: capped (a day, an hour) so an absurd setting
    // is a long wait, not an overflow.
    if let seconds = try number("CRASHSIFT_SYMBOL_TIMEOUT") {
      configuration.requestTimeout = min(seconds, 86_400)
    }
    if let seconds = try number("CRASHSIFT_SYMBOL_CONNECT_TIMEOUT") {
      configuration.connectTimeout = min(max(0.1, seconds), 3_600)
    }
    if let count = try number("CRASHSIFT_SYMBOL_RETRIES") {
      configuration.retries = Int(min(count, 20))
    }
    if let bytes = try number("CRASHSIFT_SYMBOL_MAX_SIZE") {
      configuration.maximumFileSize = Int64(min(bytes, 0x1p50))
    }
    if let seconds = try number("CRASHSIFT_SYMBOL_MISS_EXPIRY") {
      configuration.missExpiry = seconds
    }
    if let count = try number("CRASHSIFT_SYMBOL_CONNECTIONS") {
      configuration.maximumConnectionsPerServer = Int(max(1, min(count, 64)))
    }
    return configuration
  }

  /// `http://host:port`, `host:port` or `host` (port 80); credentials in a proxy URL are not
  /// supported and refused rather than sent in the clear.
  static func proxy(_ text: String) throws(SymbolServerError) -> Proxy {
    var rest = Substring(text.trimmingCharacters(in: .whitespaces))
    if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
    if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
    guard !rest.contains("@") else {
      throw SymbolServerError("proxy credentials in the proxy URL are not supported")
    }
    let parts = rest.split(separator: ":")
    guard let host = parts.first, !host.isEmpty, parts.count <= 2 else {
      throw SymbolServerError("proxy '\(text)' is not host:port")
    }
    let port = parts.count == 2 ? Int(parts[1]) : 80
    guard let port, (1...65535).contains(port) else {
      throw SymbolServerError("proxy '\(text)' has no valid port")
    }
    return Proxy(host: String(host), port: port)
  }

  static func headers(file: String, environment: [String: String]) throws(SymbolServerError)
    -> [Header]
  {
    guard let data = FileManager.default.contents(atPath: file) else {
      throw SymbolServerError("CRASHSIFT_SYMBOL_HEADERS: cannot read \(file)")
    }
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw SymbolServerError(
        "CRASHSIFT_SYMBOL_HEADERS: \(file) is not a JSON object {\"URL prefix\": {\"Header\": \"value\"}}"
      )
    }
    var headers: [Header] = []
    for (prefix, value) in object.sorted(by: { $0.key < $1.key }) {
      guard let fields = value as? [String: Any] else {
        throw SymbolServerError(
          "CRASHSIFT_SYMBOL_HEADERS: \(prefix) must map to an object of headers")
      }
      for (name, raw) in fields.sorted(by: { $0.key < $1.key }) {
        guard let text = raw as? String else {
          throw SymbolServerError("CRASHSIFT_SYMBOL_HEADERS: \(prefix) \(name) must be a string")
        }
        headers.append(
          Header(prefix: prefix, name: name, value: try expand(text, environment: environment)))
      }
    }
    return headers
  }

  /// `${NAME}` replaced by the environment's NAME; a missing variable is an error, never an
  /// empty token sent to the server.
  static func expand(_ text: String, environment: [String: String]) throws(SymbolServerError)
    -> String
  {
    var result = ""
    var rest = Substring(text)
    while let open = rest.range(of: "${") {
      result += rest[..<open.lowerBound]
      guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
        throw SymbolServerError("CRASHSIFT_SYMBOL_HEADERS: unclosed ${ in a header value")
      }
      let name = String(rest[open.upperBound..<close])
      guard let value = environment[name] else {
        throw SymbolServerError("CRASHSIFT_SYMBOL_HEADERS: environment variable \(name) is not set")
      }
      result += value
      rest = rest[rest.index(after: close)...]
    }
    return result + rest
  }

  /// The proxy for `url`, or nil when none applies.
  func proxy(for url: URLParts) -> Proxy? {
    let chosen = url.scheme == "https" ? httpsProxy : httpProxy
    guard chosen != nil else { return nil }
    let host = url.host.lowercased()
    for entry in noProxy {
      if entry == "*" || entry == host { return nil }
      let suffix = entry.hasPrefix(".") ? entry : "." + entry
      if host.hasSuffix(suffix) { return nil }
    }
    return chosen
  }
}
