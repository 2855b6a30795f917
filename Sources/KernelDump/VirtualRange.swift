/// A piece of virtual memory held in the file: `size` bytes at `address`, stored at `fileOffset`.
public struct VirtualRange: Sendable, Equatable {
  public var address: UInt64
  public var size: UInt64
  public var fileOffset: UInt64
  /// Where the range came from (`data block`, `stack`, `KDBG copy`, …), for explanations.
  public var source: String

  public var end: UInt64 {
    let (sum, overflow) = address.addingReportingOverflow(size)
    return overflow ? .max : sum
  }
}
