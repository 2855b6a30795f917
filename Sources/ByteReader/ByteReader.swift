/// Bounds-checked little-endian reads over a `MappedFile` (or a window of it).
///
/// Offsets are relative to the window; every read checks `offset + size <= count` without
/// overflow and throws `ParseError` otherwise. No read allocates except the string decoders.
public struct ByteReader: Sendable {
  private let file: MappedFile
  /// Start of the window in the file.
  public let base: Int
  /// Length of the window.
  public let count: Int

  public init(file: MappedFile) {
    self.file = file
    base = 0
    count = file.bytes.count
  }

  private init(file: MappedFile, base: Int, count: Int) {
    self.file = file
    self.base = base
    self.count = count
  }

  /// Gives the pages of the mapped file under this reader back to the kernel
  /// (`MappedFile.dropResidentPages`); later reads fault them in again with the same bytes.
  public func dropResidentPages() { file.dropResidentPages() }

  /// Whether `count` bytes at `offset` lie inside the window.
  @inline(__always)
  public func contains(offset: Int, count length: Int) -> Bool {
    offset >= 0 && length >= 0 && offset <= count && length <= count - offset
  }

  @inline(__always)
  private func check(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String)
    throws(ParseError)
  {
    guard contains(offset: offset, count: length) else {
      throw ParseError(
        what(), offset: base + max(offset, 0),
        "needs \(length) bytes but the data ends at offset 0x\(String(base + count, radix: 16))")
    }
  }

  @inline(__always)
  private func load<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> T {
    // `check` ran first; the window lies inside the mapping.
    T(littleEndian: file.bytes.loadUnaligned(fromByteOffset: base + offset, as: T.self))
  }

  public func u8(at offset: Int, _ what: @autoclosure () -> String = "value") throws(ParseError)
    -> UInt8
  {
    try check(offset, 1, what())
    return load(offset, UInt8.self)
  }

  public func u16(at offset: Int, _ what: @autoclosure () -> String = "value") throws(ParseError)
    -> UInt16
  {
    try check(offset, 2, what())
    return load(offset, UInt16.self)
  }

  public func u32(at offset: Int, _ what: @autoclosure () -> String = "value") throws(ParseError)
    -> UInt32
  {
    try check(offset, 4, what())
    return load(offset, UInt32.self)
  }

  /// The u32 at `offset`, or `fallback` when it is not inside the window: for lookups over
  /// records a reader checked once on open, in loops where a thrown error would cost more than
  /// the read.
  @inline(__always)
  public func u32(at offset: Int, default fallback: UInt32) -> UInt32 {
    contains(offset: offset, count: 4) ? load(offset, UInt32.self) : fallback
  }

  public func u64(at offset: Int, _ what: @autoclosure () -> String = "value") throws(ParseError)
    -> UInt64
  {
    try check(offset, 8, what())
    return load(offset, UInt64.self)
  }

  /// A window of `length` bytes at `offset`.
  public func window(at offset: Int, count length: Int, _ what: @autoclosure () -> String)
    throws(ParseError) -> ByteReader
  {
    try check(offset, length, what())
    return ByteReader(file: file, base: base + offset, count: length)
  }

  /// A window from `offset` to the end, at most `limit` bytes.
  public func window(from offset: Int, limit: Int, _ what: @autoclosure () -> String)
    throws(ParseError) -> ByteReader
  {
    try check(offset, 0, what())
    return ByteReader(file: file, base: base + offset, count: min(limit, count - offset))
  }

  /// The raw bytes of `length` bytes at `offset` (valid while the file lives).
  public func bytes(at offset: Int, count length: Int, _ what: @autoclosure () -> String)
    throws(ParseError) -> UnsafeRawBufferPointer
  {
    try check(offset, length, what())
    return UnsafeRawBufferPointer(rebasing: file.bytes[(base + offset)..<(base + offset + length)])
  }

  /// A copy of `length` bytes at `offset` (one memcpy).
  public func array(at offset: Int, count length: Int, _ what: @autoclosure () -> String)
    throws(ParseError) -> [UInt8]
  {
    let source = try bytes(at: offset, count: length, what())
    return [UInt8](unsafeUninitializedCapacity: length) { buffer, initialized in
      if let base = source.baseAddress, let target = buffer.baseAddress, length > 0 {
        target.initialize(from: base.assumingMemoryBound(to: UInt8.self), count: length)
      }
      initialized = length
    }
  }

  /// UTF-16LE text of `byteCount` bytes (odd counts drop the last byte); invalid units become
  /// U+FFFD. With `stopAtNUL`, the text ends at the first U+0000 (fixed-size name fields).
  public func utf16(
    at offset: Int, byteCount: Int, stopAtNUL: Bool = false, _ what: @autoclosure () -> String
  ) throws(ParseError) -> String {
    let raw = try bytes(at: offset, count: byteCount & ~1, what())
    let unitCount = raw.count / 2
    var end = unitCount
    var ascii = true
    for index in 0..<unitCount {
      let unit = UInt16(raw[2 * index]) | UInt16(raw[2 * index + 1]) << 8
      if unit == 0 && stopAtNUL {
        end = index
        break
      }
      if unit >= 0x80 { ascii = false }
    }
    if ascii {
      // Names and paths are nearly always ASCII: build the UTF-8 bytes directly.
      return String(unsafeUninitializedCapacity: end) { buffer in
        for index in 0..<end { buffer[index] = raw[2 * index] }
        return end
      }
    }
    var units: [UInt16] = []
    units.reserveCapacity(end)
    for index in 0..<end { units.append(UInt16(raw[2 * index]) | UInt16(raw[2 * index + 1]) << 8) }
    return String(decoding: units, as: UTF16.self)
  }

  /// A NUL-terminated 8-bit string of at most `maxLength` bytes (UTF-8, invalid bytes replaced).
  public func cString(at offset: Int, maxLength: Int, _ what: @autoclosure () -> String)
    throws(ParseError) -> String
  {
    try check(offset, 0, what())
    let available = min(maxLength, count - offset)
    let raw = try bytes(at: offset, count: available, what())
    let end = raw.firstIndex(of: 0) ?? raw.count
    return String(decoding: raw[0..<end], as: UTF8.self)
  }
}
