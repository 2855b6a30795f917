/// `MINIDUMP_MEMORY_DESCRIPTOR` (16 bytes) or a Memory64List range: captured memory and where its
/// bytes are in the file.
public struct MinidumpMemoryDescriptor: Sendable, Equatable, Codable {
  public var start: UInt64
  public var size: UInt64
  /// File offset of the bytes.
  public var rva: UInt64

  public init(start: UInt64, size: UInt64, rva: UInt64) {
    self.start = start
    self.size = size
    self.rva = rva
  }

  /// One past the last address (saturating).
  public var end: UInt64 { start.addingReportingOverflow(size).overflow ? .max : start + size }
}
