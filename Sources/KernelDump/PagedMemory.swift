import ByteReader

/// Virtual memory of a full, bitmap or RDMP dump: page tables (x64, ARM64, x86 with or without
/// PAE; `PagingMode`) over the physical-memory map (reference/kernel-dumps.md §2.5), and the
/// module list walked through them (§2.2).
struct PagedMemory: Sendable {
  let file: MappedFile
  let map: PhysicalMemoryMap
  let directoryTableBase: UInt64?
  /// `nil` when the machine's translation is not supported: every virtual read fails.
  let mode: PagingMode?
  /// The NT build, for the few layouts that changed between versions.
  let build: UInt32

  /// The 4 KiB physical page at `pfn`, if the dump holds it.
  func page(_ pfn: UInt64) -> UnsafeRawBufferPointer? {
    guard let offset = map.fileOffset(ofPFN: pfn), offset <= UInt64(Int.max) else { return nil }
    return try? file.reader.bytes(at: Int(offset), count: 0x1000, "physical page")
  }

  func physicalU64(_ address: UInt64) -> UInt64? {
    guard let page = page(address >> 12) else { return nil }
    return page.loadUnaligned(fromByteOffset: Int(address & 0xFF8), as: UInt64.self).littleEndian
  }

  func physicalU32(_ address: UInt64) -> UInt32? {
    guard let page = page(address >> 12) else { return nil }
    return page.loadUnaligned(fromByteOffset: Int(address & 0xFFC), as: UInt32.self).littleEndian
  }

  /// Virtual-to-physical translation. Entries that are not valid, table pages the dump does not
  /// hold and transition PTEs are "not present" (`nil`), never guessed.
  func translate(_ address: UInt64, directoryTableBase override: UInt64? = nil) -> UInt64? {
    guard let mode, let dtb = override ?? directoryTableBase else { return nil }
    switch mode {
    case .x64: return translateX64(address, dtb)
    case .arm64: return translateARM64(address, dtb)
    case .x86PAE: return translatePAE(mode.canonical(address), dtb)
    case .x86: return translateX86(mode.canonical(address), dtb)
    }
  }

  private func translateX64(_ address: UInt64, _ dtb: UInt64) -> UInt64? {
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

  private func translateARM64(_ address: UInt64, _ dtb: UInt64) -> UInt64? {
    let outputMask: UInt64 = 0x0003_FFFF_FFFF_F000
    var table = dtb & outputMask
    for level in 0..<4 {
      let index = (address >> UInt64(39 - 9 * level)) & 0x1FF
      guard let entry = physicalU64(table + index * 8), entry & 1 != 0 else { return nil }
      let isTableOrPage = entry & 2 != 0
      switch level {
      case 0 where !isTableOrPage, 3 where !isTableOrPage:
        return nil  // reserved encodings: no block at level 0, no block at level 3
      case 1 where !isTableOrPage:
        return (entry & outputMask & ~0x3FFF_FFFF) + (address & 0x3FFF_FFFF)
      case 2 where !isTableOrPage:
        return (entry & outputMask & ~0x1F_FFFF) + (address & 0x1F_FFFF)
      default:
        table = entry & outputMask
      }
    }
    return table + (address & 0xFFF)
  }

  private func translatePAE(_ address: UInt64, _ dtb: UInt64) -> UInt64? {
    let pfnMask: UInt64 = 0x000F_FFFF_FFFF_F000
    guard let pdpte = physicalU64((dtb & 0xFFFF_FFE0) + (address >> 30) * 8), pdpte & 1 != 0,
      let pde = physicalU64((pdpte & pfnMask) + ((address >> 21) & 0x1FF) * 8), pde & 1 != 0
    else { return nil }
    if pde & 0x80 != 0 { return (pde & pfnMask & ~0x1F_FFFF) + (address & 0x1F_FFFF) }
    guard let pte = physicalU64((pde & pfnMask) + ((address >> 12) & 0x1FF) * 8), pte & 1 != 0
    else { return nil }
    return (pte & pfnMask) + (address & 0xFFF)
  }

  private func translateX86(_ address: UInt64, _ dtb: UInt64) -> UInt64? {
    guard let pde = physicalU32((dtb & 0xFFFF_F000) + (address >> 22) * 4), pde & 1 != 0 else {
      return nil
    }
    if pde & 0x80 != 0 { return UInt64(pde & 0xFFC0_0000) + (address & 0x3F_FFFF) }
    guard
      let pte = physicalU32(UInt64(pde & 0xFFFF_F000) + ((address >> 12) & 0x3FF) * 4),
      pte & 1 != 0
    else { return nil }
    return UInt64(pte & 0xFFFF_F000) + (address & 0xFFF)
  }

  /// `count` bytes at `address`, page by page; throws naming the first page that is not present.
  func read(_ address: UInt64, count: Int) throws(ParseError) -> [UInt8] {
    guard count >= 0 && count <= 1 << 30 else {
      throw ParseError("virtual read", "a read of \(count) bytes is refused")
    }
    guard let mode else {
      throw ParseError("virtual read", "address translation is not supported for this machine")
    }
    var out: [UInt8] = []
    out.reserveCapacity(count)
    var current = mode.canonical(address)
    while out.count < count {
      guard let physical = translate(current), let page = page(physical >> 12) else {
        throw ParseError(
          "virtual read",
          "0x\(String(current, radix: 16)) is not present (page missing or not mapped)")
      }
      let offset = Int(physical & 0xFFF)
      let take = min(count - out.count, 0x1000 - offset)
      out.append(contentsOf: page[offset..<(offset + take)])
      current = mode.canonical(current &+ UInt64(take))
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

  /// A pointer of the dumped kernel's width.
  func pointer(_ address: UInt64) throws(ParseError) -> UInt64 {
    mode?.pointerSize == 4 ? UInt64(try u32(address)) : try u64(address)
  }

  /// A UNICODE_STRING (u16 length in bytes; buffer pointer at +8, or +4 on 32-bit kernels), at
  /// most 64 KiB.
  func unicodeString(_ address: UInt64) throws(ParseError) -> String {
    let length = Int(
      try read(address, count: 2).withUnsafeBytes { $0.loadUnaligned(as: UInt16.self).littleEndian }
    )
    guard length > 0 else { return "" }
    let bufferField = address &+ UInt64(mode?.pointerSize ?? 8)
    let raw = try read(try pointer(bufferField), count: length & ~1)
    var units: [UInt16] = []
    units.reserveCapacity(raw.count / 2)
    for index in stride(from: 0, to: raw.count, by: 2) {
      units.append(UInt16(raw[index]) | UInt16(raw[index + 1]) << 8)
    }
    return String(decoding: units, as: UTF16.self)
  }

  /// Field offsets of KLDR_DATA_TABLE_ENTRY. 64-bit (x64 and ARM64, Windows 10+): DllBase 0x30,
  /// SizeOfImage 0x40, FullDllName 0x48, BaseDllName 0x58, CheckSum 0x78, TimeDateStamp 0x9C.
  /// x86 keeps the same field order with 4-byte pointers and no padding: DllBase 0x18,
  /// SizeOfImage 0x20, FullDllName 0x24, BaseDllName 0x2C, CheckSum 0x40, and TimeDateStamp at
  /// 0x58 from Windows 10 (after CoverageSectionSize, CoverageSection, LoadedImports, Spare,
  /// SizeOfImageNotRounded), at 0x44 before it (the TimeDateStamp/LoadedImports union of XP–8.1).
  /// Sources: Geoff Chappell's KLDR_DATA_TABLE_ENTRY and LDR_DATA_TABLE_ENTRY pages.
  var loaderEntry:
    (
      dllBase: UInt64, size: UInt64, fullName: UInt64, baseName: UInt64, checksum: UInt64,
      timeDateStamp: UInt64
    )
  {
    if mode?.pointerSize == 4 {
      return (0x18, 0x20, 0x24, 0x2C, 0x40, build >= 10240 ? 0x58 : 0x44)
    }
    return (0x30, 0x40, 0x48, 0x58, 0x78, 0x9C)
  }

  /// Walks PsLoadedModuleList (KLDR_DATA_TABLE_ENTRY, `loaderEntry`) with a length and a cycle
  /// guard. Returns what was read and, if the walk stopped early, why.
  func modules(head rawHead: UInt64, limit: Int = 4096) -> ([KernelModule], String?) {
    // Names are at most 64 KiB each (u16 lengths) and the walk at most 4,096 entries: bounded.
    let head = mode?.canonical(rawHead) ?? rawHead
    let layout = loaderEntry
    var modules: [KernelModule] = []
    var seen: Set<UInt64> = [head]
    do {
      var entry = try pointer(head)
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
        let path = try unicodeString(entry &+ layout.fullName)
        var name = try unicodeString(entry &+ layout.baseName)
        if name.isEmpty { name = path.split(separator: "\\").last.map(String.init) ?? path }
        modules.append(
          KernelModule(
            name: name, path: path, base: try pointer(entry &+ layout.dllBase),
            size: try u32(entry &+ layout.size),
            checksum: (try? u32(entry &+ layout.checksum)) ?? 0,
            timeDateStamp: (try? u32(entry &+ layout.timeDateStamp)) ?? 0))
        entry = try pointer(entry)
      }
    } catch {
      return (modules, "module list: \(error) (after \(modules.count) modules)")
    }
    return (modules, nil)
  }
}
