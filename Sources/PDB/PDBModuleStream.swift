import ByteReader

/// One module stream, assembled once, with its C13 subsections split and its file names resolved:
/// the procedure, line and inline readers all work from it, so a module is copied and its file
/// table decoded once however many of them run.
public struct PDBModuleStream: Sendable {
  /// The symbol records (after the 4-byte CV signature at offset 0..<4).
  let symbols: ByteReader
  /// C13 subsections, ignored ones (bit 31) dropped.
  let subsections: [(kind: UInt32, data: ByteReader)]
  /// Source file names by FILECHKSMS entry offset (the file ids of LINES and inlinee records).
  let fileNames: [UInt32: String]

  /// The module's source files in its checksum table's order.
  public var sourceFiles: [String] {
    fileNames.sorted { $0.key < $1.key }.map(\.value)
  }
}
