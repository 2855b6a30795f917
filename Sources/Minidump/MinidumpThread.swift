import ByteReader
import CPUContexts

/// One `MINIDUMP_THREAD` (48 bytes; 64 in ThreadExList) with its context.
public struct MinidumpThread: Sendable, Equatable {
  public var threadID: UInt32
  public var suspendCount: UInt32
  public var priorityClass: UInt32
  public var priority: UInt32
  public var teb: UInt64
  public var stack: MinidumpMemoryDescriptor
  public var contextLocation: MinidumpLocation
  /// The registers, when the context could be read.
  public var context: CPUContext?
  /// Why the context could not be read, if it could not.
  public var contextError: String?
  /// From the ThreadNames stream.
  public var name: String?
}
