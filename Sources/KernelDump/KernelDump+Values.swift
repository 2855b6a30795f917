import ByteReader

extension KernelDump {
  /// A pointer of the dumped kernel's width (8 bytes, or 4 on 32-bit kernels) at `address`.
  public func pointer(virtual address: UInt64) throws(ParseError) -> UInt64 {
    if let paged { return try paged.pointer(address) }
    let bytes = try read(virtual: address, count: header.is64Bit ? 8 : 4)
    var value: UInt64 = 0
    for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
    return value
  }

  /// A little-endian u16 of virtual memory.
  public func u16(virtual address: UInt64) throws(ParseError) -> UInt16 {
    let bytes = try read(virtual: address, count: 2)
    return UInt16(bytes[0]) | UInt16(bytes[1]) << 8
  }

  /// A UNICODE_STRING of a kernel or full memory dump (at most 64 KiB; `PagedMemory`); triage
  /// dumps keep no such strings readable this way.
  public func unicodeString(virtual address: UInt64) throws(ParseError) -> String {
    guard let paged else {
      throw ParseError("virtual read", "\(header.dumpType.name) dump: no physical memory map")
    }
    return try paged.unicodeString(address)
  }

  /// The image name of the EPROCESS at `process` (ImageFileName at the layout's offset), nil
  /// when the offset is unknown, the memory missing or the bytes not a printable name.
  public func processImageName(_ process: UInt64, layout: KernelTypeLayout) -> String? {
    guard let offset = layout[.imageFileName],
      let bytes = try? read(virtual: process &+ UInt64(offset), count: 15)
    else { return nil }
    return ImageFileNameOffsets.name(bytes)
  }
}
