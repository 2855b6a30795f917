/// Physical memory of a synthetic machine: pages, page tables (x64, ARM64, x86 PAE or x86; see
/// `Paging`), and helpers that place kernel structures (KDDEBUGGER_DATA64, KLDR_DATA_TABLE_ENTRY
/// lists, KPRCB, threads) at virtual addresses. `KernelDumpWriter` turns it into a dump file.
/// Layouts: reference/kernel-dumps.md §2. The table walk here is written independently of the
/// reader's so that tests compare two implementations.
public final class SyntheticKernel {
  /// The page-table format the machine uses.
  public enum Paging: Sendable {
    /// 4 levels × 512 8-byte entries; table/page entries `pfn << 12 | 3`, large pages add PS (0x80).
    case x64
    /// 4 levels × 512 8-byte descriptors (4 KiB granule); tables and pages `pfn << 12 | 3`, pages
    /// also set AF (bit 10); a 2 MiB block at level 2 has bit 1 clear.
    case arm64
    /// PDPT of 4 8-byte entries (`pfn << 12 | 1`), then 512-entry PD and PT; PS gives 2 MiB.
    case x86PAE
    /// 1,024-entry PD and PT of 4-byte entries; PS gives 4 MiB.
    case x86

    /// Bytes in a pointer of this machine.
    public var pointerSize: Int {
      switch self {
      case .x64, .arm64: return 8
      case .x86PAE, .x86: return 4
      }
    }

    /// (shift, entry size) of each level from the root down.
    var levels: [(shift: UInt64, entrySize: UInt64, bits: UInt64)] {
      switch self {
      case .x64, .arm64: return [(39, 8, 9), (30, 8, 9), (21, 8, 9), (12, 8, 9)]
      case .x86PAE: return [(30, 8, 2), (21, 8, 9), (12, 8, 9)]
      case .x86: return [(22, 4, 10), (12, 4, 10)]
      }
    }

    func tableEntry(_ pfn: UInt64) -> UInt64 {
      self == .x86PAE ? (pfn << 12) | 0x1 : (pfn << 12) | 0x3
    }

    var pageFlags: UInt64 { self == .arm64 ? 0x403 : 0x3 }
  }

  /// Physical pages by PFN, 4,096 bytes each.
  public private(set) var pages: [UInt64: [UInt8]] = [:]
  /// The root table page (PML4, ARM64 level 0, PDPT or page directory); the header's
  /// DirectoryTableBase is `pml4PFN << 12`.
  public let pml4PFN: UInt64
  public let paging: Paging
  private var nextPFN: UInt64

  /// - Parameter firstPFN: where page allocation starts (PFN 0 is left out, like real machines).
  public init(firstPFN: UInt64 = 1, paging: Paging = .x64) {
    self.paging = paging
    nextPFN = firstPFN
    pml4PFN = firstPFN
    nextPFN += 1
    pages[pml4PFN] = [UInt8](repeating: 0, count: 4096)
  }

  /// Allocates a zeroed page and returns its PFN.
  public func allocatePage() -> UInt64 {
    while pages[nextPFN] != nil { nextPFN += 1 }
    let pfn = nextPFN
    pages[pfn] = [UInt8](repeating: 0, count: 4096)
    nextPFN += 1
    return pfn
  }

  /// Places page contents at a given PFN (for sparse layouts).
  public func setPage(_ pfn: UInt64, _ bytes: [UInt8]) {
    var page = bytes
    page += [UInt8](repeating: 0, count: max(0, 4096 - page.count))
    pages[pfn] = Array(page.prefix(4096))
  }

  private func entry(_ pfn: UInt64, _ index: UInt64, size: UInt64) -> UInt64 {
    guard let page = pages[pfn] else { return 0 }
    var value: UInt64 = 0
    for byte in 0..<Int(size) {
      value |= UInt64(page[Int(index * size) + byte]) << (8 * UInt64(byte))
    }
    return value
  }

  private func setEntry(_ pfn: UInt64, _ index: UInt64, _ value: UInt64, size: UInt64) {
    for byte in 0..<Int(size) {
      pages[pfn]?[Int(index * size) + byte] = UInt8((value >> (8 * UInt64(byte))) & 0xFF)
    }
  }

  private func index(_ va: UInt64, _ level: (shift: UInt64, entrySize: UInt64, bits: UInt64))
    -> UInt64
  {
    (va >> level.shift) & ((1 << level.bits) - 1)
  }

  /// The table `depth` levels below the root for `va`, creating tables on the way.
  private func table(for va: UInt64, depth: Int) -> UInt64 {
    var table = pml4PFN
    for level in paging.levels.prefix(depth) {
      let slot = index(va, level)
      var value = entry(table, slot, size: level.entrySize)
      if value & 1 == 0 {
        let next = allocatePage()
        value = paging.tableEntry(next)
        setEntry(table, slot, value, size: level.entrySize)
      }
      table = (value >> 12) & 0xF_FFFF_FFFF
    }
    return table
  }

  /// Maps the 4 KiB page at `va` to `pfn`.
  public func map(virtual va: UInt64, toPFN pfn: UInt64) {
    let levels = paging.levels
    let last = levels[levels.count - 1]
    let pt = table(for: va, depth: levels.count - 1)
    setEntry(pt, index(va, last), (pfn << 12) | paging.pageFlags, size: last.entrySize)
  }

  /// Maps the large page at `va` (aligned; 2 MiB, or 4 MiB on x86 without PAE) to physical
  /// `pfn << 12`: a PDE with PS set, or an ARM64 level-2 block descriptor.
  public func mapLarge(virtual va: UInt64, toPFN pfn: UInt64) {
    let levels = paging.levels
    let directory = levels[levels.count - 2]
    let pd = table(for: va, depth: levels.count - 2)
    let value = paging == .arm64 ? (pfn << 12) | 0x401 : (pfn << 12) | 0x83
    setEntry(pd, index(va, directory), value, size: directory.entrySize)
  }

  /// Writes a PTE that is not present (e.g. a transition PTE with bit 11 set) for `va`.
  public func mapNotPresent(virtual va: UInt64, rawPTE: UInt64) {
    let levels = paging.levels
    let last = levels[levels.count - 1]
    let pt = table(for: va, depth: levels.count - 1)
    setEntry(pt, index(va, last), rawPTE & ~1, size: last.entrySize)
  }

  /// The PFN mapped at `va` (4 KiB mappings only), if any.
  public func pfn(mappedAt va: UInt64) -> UInt64? {
    var table = pml4PFN
    for level in paging.levels {
      let value = entry(table, index(va, level), size: level.entrySize)
      guard value & 1 != 0 else { return nil }
      table = (value >> 12) & 0xF_FFFF_FFFF
    }
    return table
  }

  /// Writes bytes at `va`, allocating and mapping pages as needed.
  public func write(virtual va: UInt64, _ bytes: [UInt8]) {
    var offset = 0
    while offset < bytes.count {
      let address = va &+ UInt64(offset)
      let pageVA = address & ~0xFFF
      let pfn =
        self.pfn(mappedAt: pageVA)
        ?? {
          let fresh = allocatePage()
          map(virtual: pageVA, toPFN: fresh)
          return fresh
        }()
      let inPage = Int(address & 0xFFF)
      let take = min(bytes.count - offset, 4096 - inPage)
      pages[pfn]?.replaceSubrange(inPage..<(inPage + take), with: bytes[offset..<(offset + take)])
      offset += take
    }
  }

  public func write64(virtual va: UInt64, _ value: UInt64) {
    write(virtual: va, (0..<8).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) })
  }

  public func write32(virtual va: UInt64, _ value: UInt32) {
    write(virtual: va, (0..<4).map { UInt8((value >> (8 * UInt32($0))) & 0xFF) })
  }

  public func write16(virtual va: UInt64, _ value: UInt16) {
    write(virtual: va, [UInt8(value & 0xFF), UInt8(value >> 8)])
  }

  /// A pointer of the machine's width.
  public func writePointer(virtual va: UInt64, _ value: UInt64) {
    if paging.pointerSize == 4 {
      write32(virtual: va, UInt32(truncatingIfNeeded: value))
    } else {
      write64(virtual: va, value)
    }
  }

  /// A UNICODE_STRING (UNICODE_STRING64, or UNICODE_STRING32 on x86) at `va` whose text is stored
  /// at `buffer`.
  public func writeUnicodeString(virtual va: UInt64, _ text: String, buffer: UInt64) {
    let units = Array(text.utf16)
    write16(virtual: va, UInt16(units.count * 2))
    write16(virtual: va + 2, UInt16(units.count * 2 + 2))
    writePointer(virtual: va + UInt64(paging.pointerSize), buffer)
    write(virtual: buffer, units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + [0, 0])
  }

  /// A module for `writeModuleList`.
  public struct Module: Sendable {
    public var name: String
    public var path: String
    public var base: UInt64
    public var size: UInt32
    public var checksum: UInt32
    public var timeDateStamp: UInt32

    public init(
      name: String, path: String, base: UInt64, size: UInt32, checksum: UInt32,
      timeDateStamp: UInt32
    ) {
      self.name = name
      self.path = path
      self.base = base
      self.size = size
      self.checksum = checksum
      self.timeDateStamp = timeDateStamp
    }
  }

  /// PsLoadedModuleList at `head` with one KLDR_DATA_TABLE_ENTRY per module, entries from
  /// `entries` on, 0x200 bytes apart, names after them. Windows 10 offsets: x64/ARM64 DllBase 0x30,
  /// SizeOfImage 0x40, FullDllName 0x48, BaseDllName 0x58, CheckSum 0x78, TimeDateStamp 0x9C;
  /// x86 0x18, 0x20, 0x24, 0x2C, 0x40, 0x58.
  public func writeModuleList(head: UInt64, entries: UInt64, modules: [Module]) {
    let wide = paging.pointerSize == 8
    let (base, size, full, short, checksum, stamp):
      (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        wide ? (0x30, 0x40, 0x48, 0x58, 0x78, 0x9C) : (0x18, 0x20, 0x24, 0x2C, 0x40, 0x58)
    let addresses = modules.indices.map { entries + UInt64($0) * 0x200 }
    let width = UInt64(paging.pointerSize)
    writePointer(virtual: head, addresses.first ?? head)
    writePointer(virtual: head + width, addresses.last ?? head)
    for (index, module) in modules.enumerated() {
      let entry = addresses[index]
      writePointer(virtual: entry, index + 1 < addresses.count ? addresses[index + 1] : head)
      writePointer(virtual: entry + width, index > 0 ? addresses[index - 1] : head)
      writePointer(virtual: entry + base, module.base)
      write32(virtual: entry + size, module.size)
      writeUnicodeString(virtual: entry + full, module.path, buffer: entry + 0x100)
      writeUnicodeString(virtual: entry + short, module.name, buffer: entry + 0x180)
      write32(virtual: entry + checksum, module.checksum)
      write32(virtual: entry + stamp, module.timeDateStamp)
    }
  }

  /// A KDDEBUGGER_DATA64 at `va` with the fields crashsift reads (reference/kernel-dumps.md §2.1;
  /// offsets as in Windows 10 19041 x64).
  public func writeDebuggerData(
    virtual va: UInt64, kernBase: UInt64, psLoadedModuleList: UInt64, kiProcessorBlock: UInt64,
    psActiveProcessHead: UInt64 = 0, typeOffsets: Bool = false
  ) {
    write(
      virtual: va,
      Self.debuggerData(
        kernBase: kernBase, psLoadedModuleList: psLoadedModuleList,
        kiProcessorBlock: kiProcessorBlock, psActiveProcessHead: psActiveProcessHead,
        typeOffsets: typeOffsets))
  }

  /// The 0x380 bytes of a KDDEBUGGER_DATA64 (tag 'KDBG', Windows 10 19041 x64 offsets).
  /// With `typeOffsets`, also the structure offsets a real 19041 x64 kernel publishes there
  /// (OffsetKThreadKernelStack … OffsetKThreadStackBase: the values of the corpus' x64 19041
  /// dump, reference/kernel-dumps.md §2.1).
  public static func debuggerData(
    kernBase: UInt64, psLoadedModuleList: UInt64, kiProcessorBlock: UInt64,
    psActiveProcessHead: UInt64 = 0, typeOffsets: Bool = false
  ) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 0x380)
    func put(_ value: UInt64, _ offset: Int, _ width: Int) {
      for index in 0..<width {
        bytes[offset + index] = UInt8((value >> (8 * UInt64(index))) & 0xFF)
      }
    }
    bytes.replaceSubrange(0x10..<0x14, with: Array("KDBG".utf8))
    put(0x380, 0x14, 4)
    put(kernBase, 0x18, 8)
    put(psLoadedModuleList, 0x48, 8)
    put(kiProcessorBlock, 0x218, 8)
    put(0xF0, 0x29A, 2)  // OffsetKThreadTeb
    put(0xB8, 0x2A0, 2)  // OffsetKThreadApcProcess
    put(0xA40, 0x2A8, 2)  // SizeEProcess
    put(0xAF00, 0x2B0, 2)  // SizePrcb
    put(0x8, 0x2B4, 2)  // OffsetPrcbCurrentThread
    put(0x1F0, 0x2BC, 2)  // OffsetPrcbProcStateContext
    put(0x898, 0x2C0, 2)  // SizeEThread
    put(0x180, 0x2E6, 2)  // OffsetPcrContainedPrcb
    put(0x85C0, 0x338, 2)  // OffsetPrcbContext
    put(psActiveProcessHead, 0x50, 8)
    if typeOffsets {
      put(0x58, 0x29C, 2)  // OffsetKThreadKernelStack
      put(0x28, 0x29E, 2)  // OffsetKThreadInitialStack
      put(0x184, 0x2A2, 2)  // OffsetKThreadState
      put(0x550, 0x2AA, 2)  // OffsetEprocessPeb
      put(0x540, 0x2AC, 2)  // OffsetEprocessParentCID
      put(0x28, 0x2AE, 2)  // OffsetEprocessDirectoryTableBase
      put(0x30, 0x340, 4)  // OffsetKThreadStackLimit
      put(0x38, 0x344, 4)  // OffsetKThreadStackBase
    }
    return bytes
  }
}
