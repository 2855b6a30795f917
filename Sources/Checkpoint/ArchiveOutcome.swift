/// How the ingest of one archive ended; written together with the last batch of its dumps.
public struct ArchiveOutcome: Sendable, Equatable {
  /// `nil` when every entry was read; else libarchive's (or a cap's) message.
  public var error: String?
  public var entries: Int
  public var dumps: Int
  public var skipped: Int
  /// Formats and filters seen, e.g. `ZIP 2.0 (deflation) > 7-Zip`.
  public var formats: String

  public init(error: String?, entries: Int, dumps: Int, skipped: Int, formats: String) {
    self.error = error
    self.entries = entries
    self.dumps = dumps
    self.skipped = skipped
    self.formats = formats
  }
}
