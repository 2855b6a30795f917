import ByteReader

/// Virtual memory of a full, bitmap or RDMP dump: x64 page tables over the physical-memory map
/// (reference/kernel-dumps.md §2.5), and the module list walked through it (§2.2).
struct PagedMemory: Sendable {
  let file: MappedFile
  let map: PhysicalMemoryMap
  let directoryTableBase: UInt64?
  let isX64: Bool

  /// The 4 KiB physical page at `pfn`, if the dump holds it.
  func page(_ pfn: UInt64) -> UnsafeRawBufferPointer? {
    guard let offset = map.fileOffset(ofPFN: pfn), offset <= UInt64(Int.max) else { return nil }
    return try? file.reader.bytes(at: Int(offset), count: 0x1000, "physical page")
  }

  func physicalU64(_ address: UInt64) -> UInt64? {
    guard let page = page(address >> 12) else { return nil }
    return page.loadUnaligned(fromByteOffset: Int(address & 0xFF8), as: UInt64.self).littleEndian
  }

  /// x64 4-level translation. Non-present entries, missing table pages and transition PTEs are
  /// "not present" (`nil`), never guessed. Large (2 MiB) and huge (1 GiB) pages are followed.
  func translate(_ address: UInt64, directoryTableBase override: UInt64? = nil) -> UInt64? {
    guard isX64, let dtb = override ?? directoryTableBase else { return nil }
    let pfnMask: UInt64 = 0x0000_FFFF_FFFF_F000
    var table = dtb & pfnMask
    for level in 0..<4 {
      let index = (address >> UInt64(39 - 9 * level)) & 0x1FF
      guard let entry = physicalU64(table + index * 8), entry & 1 != 0 else { return nil }
      let large = entry & 0x80 != 0
      if level == 1 && large { return (entry & pfnMask & ~0x3FFF_FFFF) + (address & 0x3FFF_FFFF) }
      if level == 2 && large { return (entry & pfnMask & ~0x1F_FFFF) + (address & 0x1F_FFFF) }
      table = entry & pfnMask
    }
    return table + (address & 0xFFF)
  }

  /// `count` bytes at `address`, page by page; throws naming the first page that is not present.
  func read(_ address: UInt64, count: Int) throws(ParseError) -> [UInt8] {
    guard count >= 0 && count <= 1 << 30 else {
      throw ParseError("virtual read", "a read of \(count) bytes is refused")
    }
    var out: [UInt8] = []
    out.reserveCapacity(count)
    var current = address
    while out.count < count {
      guard let physical = translate(current), let page = page(physical >> 12) else {
        throw ParseError(
          "virtual read",
          "0x\(String(current, radix: 16)) is not present (page missing or not mapped)")
      }
      let offset = Int(physical & 0xFFF)
      let take = min(count - out.count, 0x1000 - offset)
      out.append(contentsOf: page[offset..<(offset + take)])
      current &+= UInt64(take)
    }
    return out
  }

  func u64(_ address: UInt64) throws(ParseError) -> UInt64 {
    let bytes = try read(address, count: 8)
    return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian }
  }

  func u32(_ address: UInt64) throws(ParseError) -> UInt32 {
    let bytes = try read(address, count: 4)
    return bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian }
  }

  /// A UNICODE_STRING64 (u16 length in bytes, buffer pointer at +8), at most 32 KiB.
  func unicodeString(_ address: UInt64) throws(ParseError) -> String {
    let length = Int(
      try read(address, count: 2).withUnsafeBytes { $0.loadUnaligned(as: UInt16.self).littleEndian }
    )
    guard length > 0 else { return "" }
    let raw = try read(try u64(address + 8), count: length & ~1)
    var units: [UInt16] = []
    units.reserveCapacity(raw.count / 2)
    for index in stride(from: 0, to: raw.count, by: 2) {
      units.append(UInt16(raw[index]) | UInt16(raw[index + 1]) << 8)
    }
    return String(decoding: units, as: UTF16.self)
  }

  /// Walks PsLoadedModuleList (KLDR_DATA_TABLE_ENTRY, x64 Win10 offsets: DllBase 0x30,
  /// SizeOfImage 0x40, FullDllName 0x48, BaseDllName 0x58, CheckSum 0x78, TimeDateStamp 0x9C) with
  /// a length and a cycle guard. Returns what was read and, if the walk stopped early, why.
  func modules(head: UInt64, limit: Int = 4096) -> ([KernelModule], String?) {
    // Names are at most 64 KiB each (u16 lengths) and the walk at most 4,096 entries: bounded.
    var modules: [KernelModule] = []
    var seen: Set<UInt64> = [head]
    do {
      var entry = try u64(head)
      while entry != head {
        guard modules.count < limit else {
          return (modules, "module list: longer than \(limit) entries; stopped")
        }
        guard seen.insert(entry).inserted else {
          return (
            modules,
            "module list: loops back to 0x\(String(entry, radix: 16)); stopped after \(modules.count) modules"
          )
        }
        let path = try unicodeString(entry + 0x48)
        var name = try unicodeString(entry + 0x58)
        if name.isEmpty { name = path.split(separator: "\\").last.map(String.init) ?? path }
        modules.append(
          KernelModule(
            name: name, path: path, base: try u64(entry + 0x30), size: try u32(entry + 0x40),
            checksum: (try? u32(entry + 0x78)) ?? 0, timeDateStamp: (try? u32(entry + 0x9C)) ?? 0))
        entry = try u64(entry)
      }
    } catch {
      return (modules, "module list: \(error) (after \(modules.count) modules)")
    }
    return (modules, nil)
  }
}
