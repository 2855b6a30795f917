/// One `MINIDUMP_MEMORY_INFO` (48 bytes): a region of the process's address space.
public struct MinidumpMemoryInfo: Sendable, Equatable {
  public var baseAddress: UInt64
  public var allocationBase: UInt64
  public var allocationProtect: UInt32
  public var regionSize: UInt64
  public var state: UInt32
  public var protect: UInt32
  public var type: UInt32
}
