/// A row of `archives`: one distinct archive content and how its ingest ended.
public struct ArchiveRow: Sendable, Equatable {
  public var sha256: String
  public var path: String
  public var size: Int64
  public var mtime: Int64
  public var batch: String
  public var build: String?

  public init(
    sha256: String, path: String, size: Int64, mtime: Int64, batch: String, build: String?
  ) {
    self.sha256 = sha256
    self.path = path
    self.size = size
    self.mtime = mtime
    self.batch = batch
    self.build = build
  }
}
