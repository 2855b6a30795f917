// Stand-in for swift-crypto's SHA256 in the archive and pipeline fuzzers only (module name
// `Crypto`): the walker's hashing and the bucket rules' version are not under test there, and
// linking BoringSSL into a hand-built fuzzer is not worth it. FNV-1a spread over 32 bytes keeps distinct inputs distinct in the scratch store.
public struct SHA256 {
  private var state: UInt64 = 0xcbf2_9ce4_8422_2325

  public init() {}

  public mutating func update(bufferPointer: UnsafeRawBufferPointer) {
    for byte in bufferPointer {
      state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
  }

  /// The digest of `data` in one call (BucketRules names its version by it).
  public static func hash<D: Sequence>(data: D) -> [UInt8] where D.Element == UInt8 {
    var hasher = SHA256()
    for byte in data {
      withUnsafeBytes(of: byte) { hasher.update(bufferPointer: $0) }
    }
    return hasher.finalize()
  }

  public func finalize() -> [UInt8] {
    (0..<32).map { UInt8(truncatingIfNeeded: state >> (8 * UInt64($0 % 8)) &+ UInt64($0)) }
  }
}
