/// A Windows GUID as stored in CodeView and Crashpad records (`u32, u16, u16, u8[8]`).
public struct MinidumpGUID: Sendable, Equatable, Hashable {
  public init(data1: UInt32, data2: UInt16, data3: UInt16, data4: [UInt8]) {
    self.data1 = data1
    self.data2 = data2
    self.data3 = data3
    self.data4 = data4
  }

  public var data1: UInt32
  public var data2: UInt16
  public var data3: UInt16
  public var data4: [UInt8]

  /// Symbol-server form, upper-case without dashes: `5A9832E5287241C1838ED98914E9B7FF`.
  public var compact: String {
    HexFormat.string { append(to: &$0, uppercase: true, dashes: false) }
  }

  /// Registry form, lower-case with dashes: `5a9832e5-2872-41c1-838e-d98914e9b7ff`.
  public var dashed: String { HexFormat.string { append(to: &$0, uppercase: false, dashes: true) } }

  /// Appends the hex form to `out`.
  public func append(to out: inout [UInt8], uppercase: Bool, dashes: Bool) {
    HexFormat.append(UInt64(data1), width: 8, uppercase: uppercase, to: &out)
    if dashes { out.append(UInt8(ascii: "-")) }
    HexFormat.append(UInt64(data2), width: 4, uppercase: uppercase, to: &out)
    if dashes { out.append(UInt8(ascii: "-")) }
    HexFormat.append(UInt64(data3), width: 4, uppercase: uppercase, to: &out)
    if dashes { out.append(UInt8(ascii: "-")) }
    for (index, byte) in data4.enumerated() {
      if dashes && index == 2 { out.append(UInt8(ascii: "-")) }
      HexFormat.append(UInt64(byte), width: 2, uppercase: uppercase, to: &out)
    }
  }
}
