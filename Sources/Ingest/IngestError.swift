/// Errors of archive reading and dump storing.
public enum IngestError: Error, Equatable, CustomStringConvertible {
  /// The archive cannot be read further (corrupt, truncated, unsupported); libarchive's message.
  case archive(String)
  /// Only the current entry is unreadable (encrypted, bad data); the archive goes on.
  case entry(String)
  /// A cap in `IngestLimits` stopped the whole archive (size, ratio, entry count).
  case capExceeded(String)
  /// Writing the content-addressed store failed (disk full, permissions).
  case store(String)
  /// Reading an input file failed.
  case io(String)

  public var description: String {
    switch self {
    case .archive(let message): return message
    case .entry(let message): return message
    case .capExceeded(let message): return message
    case .store(let message): return message
    case .io(let message): return message
    }
  }
}
