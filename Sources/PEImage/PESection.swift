/// One section header (40 bytes).
public struct PESection: Sendable, Equatable {
  /// The name, without trailing NULs (long names like `/4` are kept as written).
  public var name: String
  public var virtualSize: UInt32
  public var virtualAddress: UInt32
  public var rawDataSize: UInt32
  public var pointerToRawData: UInt32
  public var characteristics: UInt32

  /// Whether `rva` lies in the section's memory image.
  public func contains(rva: UInt32) -> Bool {
    rva >= virtualAddress
      && UInt64(rva) < UInt64(virtualAddress) + UInt64(max(virtualSize, rawDataSize))
  }
}
