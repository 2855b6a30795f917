/// One handle descriptor of the HandleData stream (32 or 40 bytes).
public struct MinidumpHandle: Sendable, Equatable {
  public var handle: UInt64
  public var typeName: String?
  public var objectName: String?
  public var attributes: UInt32
  public var grantedAccess: UInt32
  public var handleCount: UInt32
  public var pointerCount: UInt32
}
