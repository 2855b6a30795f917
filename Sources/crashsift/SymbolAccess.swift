import ArgumentParser
import Foundation
import SymbolServer
import Symbols

/// How the commands reach symbols: the symbol path (`--symbols`, else `_NT_SYMBOL_PATH`), and
/// for its `http(s)://` servers an HTTP client set up from the environment, unless `--offline`.
enum SymbolAccess {
  /// The symbol-server settings from the environment, or a usage error naming what to fix.
  static func configuration() throws -> SymbolServerConfiguration {
    do {
      return try SymbolServerConfiguration.fromEnvironment()
    } catch {
      throw ValidationError(error.description)
    }
  }

  /// A client for `path`'s servers, or nil when it has none or the run is offline.
  static func client(for path: SymbolPath, offline: Bool) throws -> HTTPSymbolServer? {
    guard path.hasServers, !offline else { return nil }
    do {
      return try HTTPSymbolServer(configuration: try configuration())
    } catch let error as SymbolServerError {
      throw ValidationError(error.description)
    }
  }

  /// The table cache for `text` (`_NT_SYMBOL_PATH` syntax), or nil without a path.
  static func cache(_ text: String?, offline: Bool) throws -> SymbolTableCache? {
    guard let text = text ?? ProcessInfo.processInfo.environment["_NT_SYMBOL_PATH"] else {
      return nil
    }
    let path = SymbolPath(parsing: text, defaultCache: SymbolPath.userCache)
    return SymbolTableCache(path: path, client: try client(for: path, offline: offline))
  }
}
