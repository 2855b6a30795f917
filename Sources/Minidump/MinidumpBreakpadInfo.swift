/// Breakpad's info stream (0x47670001): which thread wrote the dump and which asked for it.
public struct MinidumpBreakpadInfo: Sendable, Equatable {
  public var validity: UInt32
  public var dumpThreadID: UInt32
  public var requestingThreadID: UInt32

  /// The dump thread id, when `validity` bit 0 says it is valid.
  public var dumpThread: UInt32? { validity & 1 != 0 ? dumpThreadID : nil }
  /// The requesting thread id, when `validity` bit 1 says it is valid.
  public var requestingThread: UInt32? { validity & 2 != 0 ? requestingThreadID : nil }
}
