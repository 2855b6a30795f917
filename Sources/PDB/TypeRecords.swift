import ByteReader

/// The records of a TPI or IPI stream, addressable by type index.
struct TypeRecords {
  let reader: ByteReader
  let begin: UInt32
  let offsets: [Int]

  func offset(of index: UInt32) -> Int? {
    guard index >= begin, Int(index - begin) < offsets.count else { return nil }
    return offsets[Int(index - begin)]
  }

  /// An LF_STRING_ID's text.
  func stringID(_ index: UInt32) throws(ParseError) -> String? {
    guard let offset = offset(of: index), try reader.u16(at: offset + 2, "type") == 0x1605 else {
      return nil
    }
    let length = Int(try reader.u16(at: offset, "type"))
    guard length >= 6 else { return nil }
    return try reader.cString(at: offset + 8, maxLength: length - 6, "string id")
  }

  /// The name of an LF_CLASS / LF_STRUCTURE / LF_UNION / LF_ENUM.
  func className(_ index: UInt32) throws(ParseError) -> String? {
    guard let offset = offset(of: index) else { return nil }
    let length = Int(try reader.u16(at: offset, "type"))
    let end = offset + 2 + length
    var cursor: Int
    switch try reader.u16(at: offset + 2, "type") {
    case 0x1504, 0x1505: cursor = offset + 20
    case 0x1506: cursor = offset + 12
    case 0x1507:
      cursor = offset + 16
      return try reader.cString(at: cursor, maxLength: max(0, end - cursor), "type name")
    default: return nil
    }
    // A numeric leaf (the size): a value below 0x8000 inline, else a kind then its bytes.
    let numeric = try reader.u16(at: cursor, "numeric leaf")
    cursor += 2
    if numeric >= 0x8000 {
      switch numeric {
      case 0x8000: cursor += 1
      case 0x8001, 0x8002: cursor += 2
      case 0x8003, 0x8004: cursor += 4
      case 0x8009, 0x800A: cursor += 8
      default: return nil
      }
    }
    guard cursor < end else { return nil }
    return try reader.cString(at: cursor, maxLength: end - cursor, "type name")
  }
}
