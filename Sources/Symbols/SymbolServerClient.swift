/// What a remote symbol store answered for one key.
public enum RemoteFetch: Sendable, Equatable {
  /// The file, verified against the key's identity, now at this path in the cache.
  case found(String)
  /// The server does not have it (404 on every name tried, or a `file.ptr` `MSG:`); the text
  /// names the URLs tried. Remembered as a miss until the negative cache entry expires.
  case notFound(String)
  /// The server could not answer (connection refused, timeout, 5xx after retries): the dump
  /// waits (`deferred`) and the next run asks again.
  case unavailable(String)
  /// The server answered with something unusable (wrong identity, over the size cap, truncated,
  /// a redirect loop, a `file.ptr` leading outside the server): discarded, never cached.
  case rejected(String)
}

/// A symbol server: fetches one store key into a local cache. Implemented over HTTP(S) by the
/// `SymbolServer` target, so this target, its readers and the fuzzers never link a network client.
public protocol SymbolServerClient: Sendable {
  /// Fetches `key` from `server` (a base URL) into `cache`, laid out as a symbol store
  /// (`<cache>/<folder>/<index>/<file>`). Blocks the calling worker thread until it is done.
  func fetch(_ key: SymbolStoreKey, from server: String, into cache: String) -> RemoteFetch
}
