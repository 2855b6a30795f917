/// Errors raised while opening or using the workspace database.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
  /// No database exists yet at the path.
  case missingDatabase(String)
  /// The database was written by a newer or older crashsift and has unapplied migrations.
  case schemaOutOfDate(String)

  public var description: String {
    switch self {
    case .missingDatabase(let path):
      return "no workspace database at \(path); run `crashsift run` or `crashsift ingest` first"
    case .schemaOutOfDate(let path):
      return
        "the workspace database \(path) has an older schema; run `crashsift ingest` once to migrate it"
    }
  }
}
