/// A dump found in an archive and stored by content: one `dumps` row plus one `occurrences` row.
public struct StoredDump: Sendable, Equatable {
  /// Entry path inside the archive; nested archives are joined with `!/`.
  public var entryPath: String
  /// SHA-256 of the content, lower-case hex.
  public var sha256: String
  public var size: Int64
  public var kind: DumpKind
  /// Modification time recorded in the archive entry (seconds since 1970), when present.
  public var entryMtime: Int64?

  public init(entryPath: String, sha256: String, size: Int64, kind: DumpKind, entryMtime: Int64?) {
    self.entryPath = entryPath
    self.sha256 = sha256
    self.size = size
    self.kind = kind
    self.entryMtime = entryMtime
  }
}
