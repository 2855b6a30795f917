import ByteReader

/// `MINIDUMP_STRING`: a u32 byte length (without the terminator) and UTF-16LE text.
enum MinidumpString {
  /// Strings longer than this are refused: no real name or path comes near it.
  static let maxBytes = 64 * 1024

  static func read(_ file: ByteReader, rva: UInt32, _ what: String) throws(ParseError) -> String {
    var unlimited = DecodeBudget(bytes: Int.max)
    return try read(file, rva: rva, what, budget: &unlimited)
  }

  /// Reads a string, spending its length from `budget` (lists share one budget).
  static func read(
    _ file: ByteReader, rva: UInt32, _ what: String, budget: inout DecodeBudget
  ) throws(ParseError) -> String {
    let length = Int(try file.u32(at: Int(rva), what))
    guard length <= maxBytes else {
      throw ParseError(what, offset: Int(rva), "string length \(length) is implausible")
    }
    try budget.spend(length, what)
    return try file.utf16(at: Int(rva) + 4, byteCount: length, what)
  }

  /// A fixed-size UTF-16 array such as AssertionInfo's `[u16; 128]`, up to the first NUL.
  static func fixed(_ reader: ByteReader, at offset: Int, units: Int, _ what: String)
    throws(ParseError) -> String
  {
    try reader.utf16(at: offset, byteCount: units * 2, stopAtNUL: true, what)
  }
}
