/// A Windows GUID as stored in CodeView and Crashpad records (`u32, u16, u16, u8[8]`).
public struct MinidumpGUID: Sendable, Equatable, Hashable {
  public var data1: UInt32
  public var data2: UInt16
  public var data3: UInt16
  public var data4: [UInt8]

  /// Symbol-server form, upper-case without dashes: `5A9832E5287241C1838ED98914E9B7FF`.
  public var compact: String {
    hex(data1, 8) + hex(data2, 4) + hex(data3, 4) + data4.map { hex($0, 2) }.joined()
  }

  /// Registry form, lower-case with dashes: `5a9832e5-2872-41c1-838e-d98914e9b7ff`.
  public var dashed: String {
    let d4 = data4.map { hex($0, 2) }.joined().lowercased()
    return
      "\(hex(data1, 8).lowercased())-\(hex(data2, 4).lowercased())-\(hex(data3, 4).lowercased())-\(d4.prefix(4))-\(d4.dropFirst(4))"
  }

  private func hex<T: BinaryInteger>(_ value: T, _ width: Int) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, width - text.count)) + text
  }
}
