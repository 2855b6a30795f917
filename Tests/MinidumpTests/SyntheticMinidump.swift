import Foundation

/// Assembles small minidumps byte by byte, for layouts the corpus has no sample of (NB10
/// CodeView, ARM64 context, Memory64List).
struct SyntheticMinidump {
  private(set) var bytes: [UInt8] = []
  private var streams: [(type: UInt32, offset: Int, size: Int)] = []

  init() { bytes = [UInt8](repeating: 0, count: 32) }

  mutating func align() { while bytes.count % 8 != 0 { bytes.append(0) } }

  /// Appends raw bytes; returns their offset.
  @discardableResult
  mutating func append(_ data: [UInt8]) -> Int {
    align()
    let offset = bytes.count
    bytes += data
    return offset
  }

  mutating func stream(_ type: UInt32, _ data: [UInt8]) {
    let offset = append(data)
    streams.append((type, offset, data.count))
  }

  /// A MINIDUMP_STRING (u32 byte length + UTF-16LE); returns its RVA.
  mutating func string(_ text: String) -> UInt32 {
    let units = Array(text.utf16)
    var data = le32(UInt32(units.count * 2))
    for unit in units { data += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
    data += [0, 0]
    return UInt32(append(data))
  }

  func le16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
  func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
  func le64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

  /// Writes the header and directory and returns the file.
  func build() -> [UInt8] {
    var out = bytes
    let directory = out.count
    for entry in streams {
      out += le32(entry.type) + le32(UInt32(entry.size)) + le32(UInt32(entry.offset))
    }
    var header = le32(0x504D_444D) + le32(0xA793) + le32(UInt32(streams.count))
    header += le32(UInt32(directory)) + le32(0) + le32(0x6000_0000) + le64(0)
    out.replaceSubrange(0..<32, with: header)
    return out
  }
}
