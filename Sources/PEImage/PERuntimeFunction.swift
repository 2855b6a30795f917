/// An x64 `RUNTIME_FUNCTION` from `.pdata`: a function's RVA range and its unwind info.
public struct PERuntimeFunction: Sendable, Equatable {
  public var begin: UInt32
  public var end: UInt32
  public var unwindInfo: UInt32

  public init(begin: UInt32, end: UInt32, unwindInfo: UInt32) {
    self.begin = begin
    self.end = end
    self.unwindInfo = unwindInfo
  }
}
