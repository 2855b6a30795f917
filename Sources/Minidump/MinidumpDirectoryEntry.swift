import ByteReader

/// One `MINIDUMP_DIRECTORY` entry: a stream's type and location (12 bytes).
public struct MinidumpDirectoryEntry: Sendable, Equatable {
  public var index: Int
  public var type: MinidumpStreamType
  public var dataSize: UInt32
  public var rva: UInt32
}
