import Foundation

/// A minimal x64 PE image holding only what a symbol store keys on (TimeDateStamp, SizeOfImage)
/// and a CodeView RSDS record naming its PDB: stands in for a real driver whose image is not in
/// the corpus but whose PDB is (the layout: PE/COFF specification, Microsoft).
public enum StubPEImage {
  public static func bytes(
    timeDateStamp: UInt32, sizeOfImage: UInt32, pdbName: String, guid: [UInt8], age: UInt32
  ) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 0x600)
    func put16(_ value: UInt16, _ at: Int) {
      out[at] = UInt8(value & 0xFF)
      out[at + 1] = UInt8(value >> 8)
    }
    func put32(_ value: UInt32, _ at: Int) {
      for index in 0..<4 { out[at + index] = UInt8((value >> (8 * UInt32(index))) & 0xFF) }
    }
    func put64(_ value: UInt64, _ at: Int) {
      put32(UInt32(value & 0xFFFF_FFFF), at)
      put32(UInt32(value >> 32), at + 4)
    }
    put16(0x5A4D, 0)
    put32(0x80, 0x3C)
    put32(0x0000_4550, 0x80)
    let coff = 0x84
    put16(0x8664, coff)
    put16(1, coff + 2)
    put32(timeDateStamp, coff + 4)
    put16(0xF0, coff + 16)
    put16(0x22, coff + 18)
    let optional = coff + 20
    put16(0x20B, optional)
    put64(0x1_4000_0000, optional + 24)
    put32(0x1000, optional + 32)
    put32(0x200, optional + 36)
    put32(sizeOfImage, optional + 56)
    put32(0x400, optional + 60)
    put16(1, optional + 68)
    put32(16, optional + 108)
    // Data directory 6: the debug directory at RVA 0x1000.
    put32(0x1000, optional + 112 + 6 * 8)
    put32(28, optional + 112 + 6 * 8 + 4)
    let section = optional + 0xF0
    for (index, byte) in Array(".rdata".utf8).enumerated() { out[section + index] = byte }
    put32(0x1000, section + 8)
    put32(0x1000, section + 12)
    put32(0x200, section + 16)
    put32(0x400, section + 20)
    put32(0x4000_0040, section + 36)
    // IMAGE_DEBUG_DIRECTORY, then the RSDS record it points at.
    let name = Array(pdbName.utf8) + [0]
    put32(timeDateStamp, 0x400 + 4)
    put32(2, 0x400 + 12)
    put32(UInt32(24 + name.count), 0x400 + 16)
    put32(0x1020, 0x400 + 20)
    put32(0x420, 0x400 + 24)
    put32(0x5344_5352, 0x420)
    for (index, byte) in guid.prefix(16).enumerated() { out[0x424 + index] = byte }
    put32(age, 0x434)
    for (index, byte) in name.enumerated() where 0x438 + index < out.count {
      out[0x438 + index] = byte
    }
    return out
  }

  /// The GUID bytes (as stored: Data1–3 little-endian) and age of a 33+-digit debug id.
  public static func guidAndAge(debugID: String) -> ([UInt8], UInt32)? {
    let hex = Array(debugID)
    guard hex.count >= 33 else { return nil }
    func bytes(_ range: Range<Int>) -> [UInt8]? {
      stride(from: range.lowerBound, to: range.upperBound, by: 2).map {
        UInt8(String(hex[$0..<$0 + 2]), radix: 16)
      }.reduce(into: [UInt8]?([])) { result, byte in
        guard let byte, result != nil else {
          result = nil
          return
        }
        result?.append(byte)
      }
    }
    guard let d1 = bytes(0..<8), let d2 = bytes(8..<12), let d3 = bytes(12..<16),
      let d4 = bytes(16..<32), let age = UInt32(String(hex[32...]), radix: 16)
    else { return nil }
    return (d1.reversed() + d2.reversed() + d3.reversed() + d4, age)
  }
}
