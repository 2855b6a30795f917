/// Hex text without intermediate strings: ids and addresses are formatted for every module of
/// every dump, so `String(_:radix:)` plus padding showed up first in profiles.
public enum HexFormat {
  private static let lower = Array("0123456789abcdef".utf8)
  private static let upper = Array("0123456789ABCDEF".utf8)

  /// Appends `value` as exactly `width` digits, or as few as needed when `width` is 0.
  public static func append(
    _ value: UInt64, width: Int = 0, uppercase: Bool = false, to out: inout [UInt8]
  ) {
    let digits = uppercase ? upper : lower
    var count = width
    if count == 0 {
      count = 1
      var rest = value >> 4
      while rest != 0 {
        count += 1
        rest >>= 4
      }
    }
    for shift in stride(from: (count - 1) * 4, through: 0, by: -4) {
      out.append(digits[Int((value >> UInt64(shift)) & 0xF)])
    }
  }

  public static func string(_ build: (inout [UInt8]) -> Void) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(40)
    build(&bytes)
    return String(decoding: bytes, as: UTF8.self)
  }
}
