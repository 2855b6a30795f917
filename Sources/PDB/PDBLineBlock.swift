/// Line entries of one C13 LINES block: offsets relative to `offset` in `segment`, in `file`.
public struct PDBLineBlock: Sendable, Equatable {
  public var segment: UInt16
  public var offset: UInt32
  /// Bytes covered by the contribution the block belongs to.
  public var contributionSize: UInt32
  public var file: String
  /// `(offset from the contribution start, line)` in code order.
  public var entries: [(offset: UInt32, line: UInt32)]

  public static func == (a: PDBLineBlock, b: PDBLineBlock) -> Bool {
    a.segment == b.segment && a.offset == b.offset && a.contributionSize == b.contributionSize
      && a.file == b.file && a.entries.map(\.offset) == b.entries.map(\.offset)
      && a.entries.map(\.line) == b.entries.map(\.line)
  }
}
