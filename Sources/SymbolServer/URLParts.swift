/// The parts of a server URL crashsift needs (scheme, host, port, path) without its credentials.
struct URLParts: Sendable, Equatable {
  var scheme: String
  var host: String
  var port: Int
  /// Without a trailing `/`.
  var path: String

  init?(_ text: String) {
    guard let separator = text.range(of: "://") else { return nil }
    scheme = text[..<separator.lowerBound].lowercased()
    guard scheme == "http" || scheme == "https" else { return nil }
    var rest = text[separator.upperBound...]
    let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
    var authority = rest[..<authorityEnd]
    rest = rest[authorityEnd...]
    if let at = authority.lastIndex(of: "@") {
      authority = authority[authority.index(after: at)...]
    }
    var hostPart = authority
    var portNumber = scheme == "https" ? 443 : 80
    if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
      hostPart = authority[authority.index(after: authority.startIndex)..<close]
      let after = authority[authority.index(after: close)...]
      if after.hasPrefix(":") {
        guard let port = Int(after.dropFirst()) else { return nil }
        portNumber = port
      }
    } else if let colon = authority.lastIndex(of: ":") {
      hostPart = authority[..<colon]
      guard let port = Int(authority[authority.index(after: colon)...]) else { return nil }
      portNumber = port
    }
    guard !hostPart.isEmpty, (1...65535).contains(portNumber) else { return nil }
    host = String(hostPart)
    port = portNumber
    var trimmed = String(rest)
    while trimmed.hasSuffix("/") { trimmed.removeLast() }
    path = trimmed
  }

  /// Scheme, host and port: what a redirect or `file.ptr` must keep to stay on the server.
  var origin: String { "\(scheme)://\(host):\(port)" }

  /// Whether `other` is this URL or lies under its path on the same origin.
  func contains(_ other: URLParts) -> Bool {
    other.origin == origin && (other.path == path || other.path.hasPrefix(path + "/"))
  }
}
