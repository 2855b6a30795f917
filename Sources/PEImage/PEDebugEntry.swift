import CodeView

/// An `IMAGE_DEBUG_DIRECTORY` entry (28 bytes) and, for CodeView entries, the record it points to.
public struct PEDebugEntry: Sendable, Equatable {
  public var characteristics: UInt32
  public var timeDateStamp: UInt32
  public var majorVersion: UInt16
  public var minorVersion: UInt16
  /// 2 CodeView, 13 POGO, 16 Repro, …
  public var type: UInt32
  public var sizeOfData: UInt32
  public var addressOfRawData: UInt32
  public var pointerToRawData: UInt32
  public var codeView: CodeViewRecord?
}
