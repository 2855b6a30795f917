/// Lower-case hex of a digest, without per-byte string allocations.
enum HexDigest {
  private static let digits = Array("0123456789abcdef".utf8)

  static func string<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
