/// One DBI module-info record: a compiland and where its symbols and lines are.
public struct PDBModule: Sendable, Equatable {
  public var name: String
  public var objectName: String
  /// The module stream, or `nil` (0xFFFF) for stripped PDBs.
  public var symbolStream: Int?
  public var symbolBytes: Int
  public var c11Bytes: Int
  public var c13Bytes: Int
}
