import ByteReader

/// A run of CodeView symbol records (`u16 length, u16 kind, payload`), as the public symbol
/// stream and module streams hold them (reference/pdb-and-symbols.md §2.5, §2.6).
struct SymbolRecords {
  /// The bytes holding the records; records end at `count`.
  let reader: ByteReader
  /// Offset of the first record (4 in module streams, after the CV signature).
  let start: Int
  /// Names the run in errors.
  let what: String

  /// Calls `body(kind, offset, length)` for every record, in order; `length` counts the kind and
  /// payload, `offset` is where the record starts. A record running past the end is an error.
  /// Every step advances by at least 4 bytes, so the walk is bounded by the run's size.
  func forEach(_ body: (UInt16, Int, Int) throws(ParseError) -> Void) throws(ParseError) {
    var offset = start
    while offset + 4 <= reader.count {
      let length = Int(try reader.u16(at: offset, what))
      let kind = try reader.u16(at: offset + 2, what)
      guard length >= 2, offset + 2 + length <= reader.count else {
        throw ParseError(what, offset: offset, "record of \(length) bytes runs past the end")
      }
      try body(kind, offset, length)
      offset += 2 + length
    }
  }
}
