import Foundation

/// Dump-like byte strings: the right signature followed by deterministic filler, so every seed
/// gives a distinct SHA-256. Enough for ingest, which only sniffs the signature.
public enum FakeDump {
  /// A valid minidump with no streams (header: MDMP, version 0xa793, 0 streams, directory at
  /// 32, time stamp = seed), padded with filler: the parse stage accepts it.
  public static func minidump(seed: Int, size: Int = 4096) -> [UInt8] {
    var header =
      Array("MDMP".utf8) + [0x93, 0xA7, 0, 0] + [0, 0, 0, 0] + [32, 0, 0, 0] + [0, 0, 0, 0]
    withUnsafeBytes(of: UInt32(truncatingIfNeeded: seed).littleEndian) { header += $0 }
    header += [UInt8](repeating: 0, count: 8)
    return bytes(signature: header, seed: seed, size: max(size, header.count))
  }

  public static func kernel64(seed: Int, size: Int = 8192) -> [UInt8] {
    bytes(signature: Array("PAGEDU64".utf8), seed: seed, size: size)
  }

  public static func kernel32(seed: Int, size: Int = 8192) -> [UInt8] {
    bytes(signature: Array("PAGEDUMP".utf8), seed: seed, size: size)
  }

  public static func bytes(signature: [UInt8], seed: Int, size: Int) -> [UInt8] {
    var out = signature
    out.reserveCapacity(size)
    var state = UInt64(truncatingIfNeeded: seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
    while out.count < size {
      // xorshift64*: cheap, deterministic, and not compressible to nothing.
      state ^= state >> 12
      state ^= state << 25
      state ^= state >> 27
      let value = state &* 0x2545_F491_4F6C_DD1D
      withUnsafeBytes(of: value.littleEndian) {
        out.append(contentsOf: $0.prefix(size - out.count))
      }
    }
    return out
  }
}
