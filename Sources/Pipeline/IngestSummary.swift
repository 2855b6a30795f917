/// What one ingest pass did; part of the run summary (`--json`, `runs.summary`).
public struct IngestSummary: Sendable, Codable, Equatable {
  /// An archive that could not be read completely (its readable dumps were kept).
  public struct Failure: Sendable, Codable, Equatable {
    public var path: String
    public var error: String
  }

  /// Archive files the manifest names.
  public var archivesPlanned = 0
  /// Unchanged since a finished ingest (same path, size and mtime): not even hashed.
  public var archivesUnchanged = 0
  /// Content already ingested under another path or earlier in this run.
  public var archivesDuplicate = 0
  /// Walked in this run.
  public var archivesIngested = 0
  /// Walked in this run and not read completely.
  public var archivesFailed = 0
  /// Dumps found in the archives walked (occurrences).
  public var dumpsFound = 0
  /// Dumps whose content was not stored before this run.
  public var dumpsNew = 0
  /// Entries read but not stored: not dumps, or refused (links, devices, caps; see
  /// `archive_issues` for the refused ones and why).
  public var entriesSkipped = 0
  /// Inputs that were dumps themselves, placed in the store without being read again, by how
  /// (`already_stored`, `reflink`, `hard_link`, `copy_file_range`; `DumpStore.Placement`).
  public var bareDumps: [String: Int] = [:]
  /// Archive-file bytes read.
  public var bytesRead: Int64 = 0
  public var seconds = 0.0
  public var failures: [Failure] = []

  public init() {}

  enum CodingKeys: String, CodingKey {
    case archivesPlanned = "archives_planned"
    case archivesUnchanged = "archives_unchanged"
    case archivesDuplicate = "archives_duplicate"
    case archivesIngested = "archives_ingested"
    case archivesFailed = "archives_failed"
    case dumpsFound = "dumps_found"
    case dumpsNew = "dumps_new"
    case entriesSkipped = "entries_skipped"
    case bareDumps = "bare_dumps"
    case bytesRead = "bytes_read"
    case seconds
    case failures
  }
}
