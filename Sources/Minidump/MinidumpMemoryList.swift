import ByteReader

/// The captured memory of a minidump (MemoryList and Memory64List together), sorted by address,
/// with reads that say what is missing.
public struct MinidumpMemoryList: Sendable {
  /// The ranges, sorted by start address.
  public let ranges: [MinidumpMemoryDescriptor]
  private let file: ByteReader

  init(ranges: [MinidumpMemoryDescriptor], file: ByteReader) {
    self.ranges = ranges.sorted { $0.start < $1.start }
    self.file = file
  }

  /// The range holding `address`, by binary search.
  public func range(containing address: UInt64) -> MinidumpMemoryDescriptor? {
    guard let index = SortedSearch.lastIndex(in: ranges, atMost: address, key: \.start) else {
      return nil
    }
    return address < ranges[index].end ? ranges[index] : nil
  }

  /// `count` bytes at `address`, when one captured range holds them all.
  public func read(address: UInt64, count: Int) throws(ParseError) -> [UInt8] {
    guard count >= 0, let range = range(containing: address) else {
      throw ParseError(
        "memory read", "0x\(String(address, radix: 16)) is not in the captured memory")
    }
    let offsetInRange = address - range.start
    guard UInt64(count) <= range.size - offsetInRange else {
      throw ParseError(
        "memory read",
        "0x\(String(address, radix: 16))+\(count) runs past the captured range ending at 0x\(String(range.end, radix: 16))"
      )
    }
    let (fileOffset, overflow) = range.rva.addingReportingOverflow(offsetInRange)
    guard !overflow, fileOffset <= UInt64(Int.max) else {
      throw ParseError("memory read", "range RVA overflows")
    }
    return try file.array(
      at: Int(fileOffset), count: count, "memory at 0x\(String(address, radix: 16))")
  }

  /// A little-endian u64 at `address`.
  public func u64(at address: UInt64) throws(ParseError) -> UInt64 {
    let bytes = try read(address: address, count: 8)
    var value: UInt64 = 0
    for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
    return value
  }

  /// A little-endian u32 at `address`.
  public func u32(at address: UInt64) throws(ParseError) -> UInt32 {
    let bytes = try read(address: address, count: 4)
    var value: UInt32 = 0
    for (index, byte) in bytes.enumerated() { value |= UInt32(byte) << (8 * UInt32(index)) }
    return value
  }
}
