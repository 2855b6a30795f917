/// `MINIDUMP_LOCATION_DESCRIPTOR`: `{u32 size, u32 rva}`.
public struct MinidumpLocation: Sendable, Equatable, Codable {
  public var dataSize: UInt32
  public var rva: UInt32

  public init(dataSize: UInt32, rva: UInt32) {
    self.dataSize = dataSize
    self.rva = rva
  }
}
