/// The memory a walker may read: a dump's captured stack and whatever else it holds. Reads that
/// touch anything not captured return nil; a walker treats that as the end of what it can know.
public protocol StackMemory {
  func u64(at address: UInt64) -> UInt64?
  func u32(at address: UInt64) -> UInt32?
  /// Up to `count` bytes at `address` (code bytes for epilogue detection); nil when none present.
  func bytes(at address: UInt64, count: Int) -> [UInt8]?
}

extension StackMemory {
  /// A pointer-sized read.
  func pointer(at address: UInt64, x64: Bool) -> UInt64? {
    x64 ? u64(at: address) : u32(at: address).map(UInt64.init)
  }
}
