/// One `MINIDUMP_THREAD_INFO` (64 bytes).
public struct MinidumpThreadInfo: Sendable, Equatable {
  public var threadID: UInt32
  public var dumpFlags: UInt32
  public var dumpError: UInt32
  public var exitStatus: UInt32
  public var createTime: UInt64
  public var exitTime: UInt64
  public var kernelTime: UInt64
  public var userTime: UInt64
  public var startAddress: UInt64
  public var affinity: UInt64
}
