import ByteReader

/// One `MINIDUMP_UNLOADED_MODULE` (24 bytes).
public struct MinidumpUnloadedModule: Sendable, Equatable {
  public var baseOfImage: UInt64
  public var sizeOfImage: UInt32
  public var checksum: UInt32
  public var timeDateStamp: UInt32
  public var name: String
}
