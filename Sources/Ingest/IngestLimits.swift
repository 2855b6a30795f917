/// Caps that keep a hostile archive from exhausting disk, memory or time.
///
/// Defaults fit real crash archives: a full kernel dump can be tens of GiB and compresses very
/// well (runs of zero pages), so the ratio cap only applies past `ratioFloorBytes`.
public struct IngestLimits: Sendable, Equatable, Codable {
  /// Deepest nesting of archives inside archives that is opened (1 = archives inside the top one).
  public var maxDepth: Int = 3
  /// Largest single entry that is read; larger ones are skipped and recorded.
  public var maxEntryBytes: Int64 = 64 << 30
  /// Most bytes expanded from one archive, all nesting levels together; past it the archive stops.
  public var maxArchiveBytes: Int64 = 256 << 30
  /// Most expanded bytes per byte of the archive file, once past `ratioFloorBytes`.
  public var maxCompressionRatio: Double = 1000
  /// Expansion below this many bytes is never judged by the ratio.
  public var ratioFloorBytes: Int64 = 64 << 20
  /// Most entries read from one archive, all nesting levels together.
  public var maxEntries: Int = 1_000_000
  /// Largest nested archive that is buffered (in memory up to `nestedInMemoryBytes`, then in a
  /// temporary file): formats such as 7z need to seek, so a nested archive cannot be streamed.
  public var maxNestedArchiveBytes: Int64 = 16 << 30
  /// Nested archives up to this size are buffered in memory, larger ones in the workspace.
  public var nestedInMemoryBytes: Int = 64 << 20

  public init() {}

  enum CodingKeys: String, CodingKey {
    case maxDepth = "max_depth"
    case maxEntryBytes = "max_entry_bytes"
    case maxArchiveBytes = "max_archive_bytes"
    case maxCompressionRatio = "max_compression_ratio"
    case ratioFloorBytes = "ratio_floor_bytes"
    case maxEntries = "max_entries"
    case maxNestedArchiveBytes = "max_nested_archive_bytes"
    case nestedInMemoryBytes = "nested_in_memory_bytes"
  }
}
