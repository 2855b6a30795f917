/// Physical memory of a synthetic x64 machine: pages, 4-level page tables, and helpers that place
/// kernel structures (KDDEBUGGER_DATA64, KLDR_DATA_TABLE_ENTRY lists, KPRCB, threads) at virtual
/// addresses. `KernelDumpWriter` turns it into a dump file. Layouts: reference/kernel-dumps.md §2.
public final class SyntheticKernel {
  /// Physical pages by PFN, 4,096 bytes each.
  public private(set) var pages: [UInt64: [UInt8]] = [:]
  /// The PML4 page; the header's DirectoryTableBase is `pml4PFN << 12`.
  public let pml4PFN: UInt64
  private var nextPFN: UInt64

  /// - Parameter firstPFN: where page allocation starts (PFN 0 is left out, like real machines).
  public init(firstPFN: UInt64 = 1) {
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

  private func entry(_ pfn: UInt64, _ index: UInt64) -> UInt64 {
    guard let page = pages[pfn] else { return 0 }
    var value: UInt64 = 0
    for byte in 0..<8 { value |= UInt64(page[Int(index) * 8 + byte]) << (8 * UInt64(byte)) }
    return value
  }

  private func setEntry(_ pfn: UInt64, _ index: UInt64, _ value: UInt64) {
    for byte in 0..<8 {
      pages[pfn]?[Int(index) * 8 + byte] = UInt8((value >> (8 * UInt64(byte))) & 0xFF)
    }
  }

  /// The table `levels` below the PML4 for `va`, creating tables on the way.
  private func table(for va: UInt64, depth: Int) -> UInt64 {
    var table = pml4PFN
    for level in 0..<depth {
      let index = (va >> UInt64(39 - 9 * level)) & 0x1FF
      var value = entry(table, index)
      if value & 1 == 0 {
        let next = allocatePage()
        value = (next << 12) | 0x3  // present, writable
        setEntry(table, index, value)
      }
      table = (value >> 12) & 0xF_FFFF_FFFF
    }
    return table
  }

  /// Maps the 4 KiB page at `va` to `pfn`.
  public func map(virtual va: UInt64, toPFN pfn: UInt64) {
    let pt = table(for: va, depth: 3)
    setEntry(pt, (va >> 12) & 0x1FF, (pfn << 12) | 0x3)
  }

  /// Maps the 2 MiB page at `va` (aligned) to physical `pfn << 12` with a PDE that has PS set.
  public func mapLarge(virtual va: UInt64, toPFN pfn: UInt64) {
    let pd = table(for: va, depth: 2)
    setEntry(pd, (va >> 21) & 0x1FF, (pfn << 12) | 0x83)
  }

  /// Writes a PTE that is not present (e.g. a transition PTE with bit 11 set) for `va`.
  public func mapNotPresent(virtual va: UInt64, rawPTE: UInt64) {
    let pt = table(for: va, depth: 3)
    setEntry(pt, (va >> 12) & 0x1FF, rawPTE & ~1)
  }

  /// The PFN mapped at `va` (4 KiB mappings only), if any.
  public func pfn(mappedAt va: UInt64) -> UInt64? {
    var table = pml4PFN
    for level in 0..<4 {
      let value = entry(table, (va >> UInt64(39 - 9 * level)) & 0x1FF)
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

  /// A UNICODE_STRING64 at `va` whose text is stored at `buffer`.
  public func writeUnicodeString(virtual va: UInt64, _ text: String, buffer: UInt64) {
    let units = Array(text.utf16)
    write16(virtual: va, UInt16(units.count * 2))
    write16(virtual: va + 2, UInt16(units.count * 2 + 2))
    write64(virtual: va + 8, buffer)
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

  /// PsLoadedModuleList at `head` with one KLDR_DATA_TABLE_ENTRY per module (x64 Win10 offsets),
  /// entries from `entries` on, 0x200 bytes apart, names after them.
  public func writeModuleList(head: UInt64, entries: UInt64, modules: [Module]) {
    let addresses = modules.indices.map { entries + UInt64($0) * 0x200 }
    write64(virtual: head, addresses.first ?? head)
    write64(virtual: head + 8, addresses.last ?? head)
    for (index, module) in modules.enumerated() {
      let entry = addresses[index]
      write64(virtual: entry, index + 1 < addresses.count ? addresses[index + 1] : head)
      write64(virtual: entry + 8, index > 0 ? addresses[index - 1] : head)
      write64(virtual: entry + 0x30, module.base)
      write32(virtual: entry + 0x40, module.size)
      writeUnicodeString(virtual: entry + 0x48, module.path, buffer: entry + 0x100)
      writeUnicodeString(virtual: entry + 0x58, module.name, buffer: entry + 0x180)
      write32(virtual: entry + 0x78, module.checksum)
      write32(virtual: entry + 0x9C, module.timeDateStamp)
    }
  }

  /// A KDDEBUGGER_DATA64 at `va` with the fields crashsift reads (reference/kernel-dumps.md §2.1;
  /// offsets as in Windows 10 19041 x64).
  public func writeDebuggerData(
    virtual va: UInt64, kernBase: UInt64, psLoadedModuleList: UInt64, kiProcessorBlock: UInt64
  ) {
    write(
      virtual: va,
      Self.debuggerData(
        kernBase: kernBase, psLoadedModuleList: psLoadedModuleList,
        kiProcessorBlock: kiProcessorBlock))
  }

  /// The 0x380 bytes of a KDDEBUGGER_DATA64 (tag 'KDBG', Windows 10 19041 x64 offsets).
  public static func debuggerData(
    kernBase: UInt64, psLoadedModuleList: UInt64, kiProcessorBlock: UInt64
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
    return bytes
  }
}
