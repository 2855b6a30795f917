extension SyntheticKernel {
  /// The object types of Windows 10's nt!ObTypeIndexTable that synthetic handles use, by index.
  public static let objectTypeNames: [UInt8: String] = [
    2: "Type", 3: "Directory", 4: "SymbolicLink", 5: "Token", 6: "Job", 7: "Process", 8: "Thread",
  ]

  /// `process`'s handle table at its ObjectTable, as Windows 8 and later keep it: HANDLE_TABLE
  /// with NextHandleNeedingPool and TableCode; 16-byte entries (8 on x86) in 4 KiB pages whose
  /// first entry is reserved; a level-1 page of pointers when there is more than one entry page.
  /// An entry holds the object header's address (>> 4 in bits 20–63 on 64-bit kernels; the
  /// 8-aligned address with flag bits 0–2 on x86) with the Unlocked bit, and the granted
  /// access. Each object's header gets its type index, encoded with `cookie` and bits 8–15 of
  /// the header's address as nt!ObHeaderCookie makes Windows 10 do.
  public func writeHandleTable(_ process: SyntheticProcess, layout: ProcessLayout, cookie: UInt8) {
    guard process.objectTable != 0 else { return }
    let width = paging.pointerSize
    let entrySize = 2 * width
    let usable = 0x1000 / entrySize - 1
    let pageCount = max(1, (process.handles.count + usable - 1) / usable)
    let leaves = (0..<pageCount).map { process.handlePages + UInt64($0) * 0x1000 }
    for leaf in leaves { write(virtual: leaf, [UInt8](repeating: 0, count: 0x1000)) }
    for (slot, handle) in process.handles.enumerated() {
      guard let handle else { continue }
      let entry = leaves[slot / usable] + UInt64((slot % usable + 1) * entrySize)
      let header = handle.object - UInt64(layout.objectHeaderBody)
      if width == 8 {
        write64(virtual: entry, (header >> 4) << 20 | 1)
        write32(virtual: entry + 8, handle.access & 0x1FF_FFFF)
      } else {
        write32(virtual: entry, UInt32(truncatingIfNeeded: header) & ~7 | 1)
        write32(virtual: entry + 4, handle.access & 0x1FF_FFFF)
      }
      let encoded = handle.typeIndex ^ cookie ^ UInt8(truncatingIfNeeded: header >> 8)
      write(virtual: header + UInt64(layout.objectHeaderTypeIndex), [encoded])
    }
    var tableCode = leaves[0]
    if pageCount > 1 {
      let top = process.handlePages + UInt64(pageCount) * 0x1000
      write(virtual: top, [UInt8](repeating: 0, count: 0x1000))
      for (index, leaf) in leaves.enumerated() {
        writePointer(virtual: top + UInt64(index * width), leaf)
      }
      tableCode = top | 1
    }
    writePointer(virtual: process.objectTable + UInt64(layout.tableCode), tableCode)
    write32(
      virtual: process.objectTable + UInt64(layout.nextHandleNeedingPool),
      UInt32(pageCount * (usable + 1) * 4))
  }

  /// nt!ObTypeIndexTable at `table` (index 0 NULL, 1 the kernel's 0xBAD0B0B0 marker, then one
  /// OBJECT_TYPE per `objectTypeNames` entry at `types`, 0x100 apart, named), and
  /// nt!ObHeaderCookie's byte at `cookieAddress`.
  public func writeObjectTypes(
    table: UInt64, types: UInt64, layout: ProcessLayout, cookie: UInt8, cookieAddress: UInt64
  ) {
    let width = UInt64(paging.pointerSize)
    let last = Self.objectTypeNames.keys.max() ?? 1
    write(virtual: table, [UInt8](repeating: 0, count: Int(UInt64(last + 2) * width)))
    writePointer(virtual: table + width, 0xBAD0_B0B0)
    for (index, name) in Self.objectTypeNames {
      let type = types + UInt64(index) * 0x100
      write(virtual: type, [UInt8](repeating: 0, count: 0x100))
      writeUnicodeString(
        virtual: type + UInt64(layout.objectTypeName), name, buffer: type + 0x80)
      writePointer(virtual: table + UInt64(index) * width, type)
    }
    write(virtual: cookieAddress, [cookie])
  }
}
