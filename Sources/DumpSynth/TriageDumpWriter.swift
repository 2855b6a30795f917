import Foundation

/// Writes a triage ("small memory") dump, DumpType 4 — 64-bit, or 32-bit x86 when
/// `header.machine` is 0x14C — in the layout of
/// reference/kernel-dumps.md §1.7: DUMP_HEADER64, TRIAGE_DUMP64 at 0x2000 with absolute offsets,
/// unloaded drivers, KPRCB/EPROCESS/ETHREAD copies, the call stack, the driver list and its string
/// pool, the KDDEBUGGER_DATA64 copy, data blocks, and the 'TRGD' marker.
public struct TriageDumpWriter {
  public var header = KernelDumpWriter(layout: .full)
  public var modules: [SyntheticKernel.Module] = []
  public var unloaded: [(name: String, start: UInt64, end: UInt64)] = []
  public var kernBase: UInt64 = 0xFFFF_F804_7BA0_0000
  public var kiProcessorBlock: UInt64 = 0xFFFF_F804_7C6F_DC80
  /// The crashing CPU's KPRCB copy (its CurrentThread is written at +8).
  public var prcbSize = 0xAF00
  public var thread: UInt64 = 0xFFFF_C08B_DE9E_1640
  public var process: UInt64 = 0xFFFF_C08B_DCE9_4180
  public var processName = "System"
  public var topOfStack: UInt64 = 0xFFFF_8504_2989_0EE8
  public var stack: [UInt8] = [UInt8](repeating: 0xCC, count: 0x2000)
  /// Extra virtual memory: (address, bytes).
  public var dataBlocks: [(UInt64, [UInt8])] = []

  public init() {
    header.kdDebuggerDataBlock = 0xFFFF_F804_7C60_0B20
    header.psLoadedModuleList = 0xFFFF_F804_7C62_A390
    header.bugCheckCode = 0x1000_007E
  }

  static func align8(_ bytes: inout [UInt8]) {
    while bytes.count % 8 != 0 { bytes.append(0) }
  }

  static func put32(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
    KernelDumpWriter.put32(value, at: offset, in: &bytes)
  }

  static func put64(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
    KernelDumpWriter.put64(value, at: offset, in: &bytes)
  }

  /// The dump bytes: 64-bit, or 32-bit (`PAGEDUMP` with TRIAGE_DUMP32 at 0x1000, ntiodump.h) when
  /// `header.machine` is 0x14C.
  public func bytes() -> [UInt8] {
    let wide = header.machine != 0x14C
    let triageBase = wide ? 0x2000 : 0x1000
    var file: [UInt8]
    if wide {
      // The header: reuse the full-dump header, then turn it into a triage header.
      file = Array(header.bytes(SyntheticKernel()).prefix(0x2000))
      Self.put32(4, at: 0xF98, in: &file)
      Self.put32(0xC7F, at: 0x1038, in: &file)
      // PhysicalMemoryBlock of a triage dump: 'PAGE' fill.
      for offset in stride(from: 0x88, to: 0x344, by: 4) {
        Self.put32(0x4547_4150, at: offset, in: &file)
      }
      file += [UInt8](repeating: 0, count: 0x80)  // TRIAGE_DUMP64, filled in below
    } else {
      file = header.header32(SyntheticKernel(paging: .x86), dumpType: 4)
      Self.put32(0xC7F, at: 0xF8C, in: &file)
      file += [UInt8](repeating: 0, count: 0x68)  // TRIAGE_DUMP32, filled in below
    }
    Self.align8(&file)
    func putPointer(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
      if wide {
        Self.put64(value, at: offset, in: &bytes)
      } else {
        Self.put32(UInt32(truncatingIfNeeded: value), at: offset, in: &bytes)
      }
    }
    var triage: [Int: UInt64] = [:]

    // _MI_TRIAGE_STORAGE (version 1, size 0x50).
    triage[0x14] = UInt64(file.count)
    var mm = [UInt8](repeating: 0, count: 0x50)
    Self.put32(1, at: 0, in: &mm)
    Self.put32(0x50, at: 4, in: &mm)
    file += mm

    // Unloaded drivers: a count, then DUMP_UNLOADED_DRIVERS64 (0x38) or ...32 (0x28) entries.
    triage[0x18] = UInt64(file.count)
    let (countSize, entrySize, nameAt, startAt, endAt) =
      wide ? (8, 0x38, 0x10, 0x28, 0x30) : (4, 0x28, 8, 0x20, 0x24)
    var list = [UInt8](repeating: 0, count: countSize)
    Self.put32(UInt32(unloaded.count), at: 0, in: &list)
    for driver in unloaded {
      var entry = [UInt8](repeating: 0, count: entrySize)
      let units = Array(driver.name.utf16.prefix(12))
      entry[0] = UInt8((units.count * 2) & 0xFF)
      entry[2] = 24
      for (index, unit) in units.enumerated() {
        entry[nameAt + index * 2] = UInt8(unit & 0xFF)
        entry[nameAt + 1 + index * 2] = UInt8(unit >> 8)
      }
      putPointer(driver.start, at: startAt, in: &entry)
      putPointer(driver.end, at: endAt, in: &entry)
      list += entry
    }
    file += list
    Self.align8(&file)

    triage[0x1C] = UInt64(file.count)
    var prcb = [UInt8](repeating: 0, count: prcbSize)
    putPointer(thread, at: 0x8, in: &prcb)
    file += prcb
    triage[0x20] = UInt64(file.count)
    var eprocess = [UInt8](repeating: 0, count: 0xA40)
    let name = Array(processName.utf8.prefix(15))
    eprocess.replaceSubrange(0x5A8..<(0x5A8 + name.count), with: name)
    file += eprocess
    triage[0x24] = UInt64(file.count)
    var ethread = [UInt8](repeating: 0, count: 0x898)
    putPointer(process, at: 0xB8, in: &ethread)
    file += ethread
    triage[0x28] = UInt64(file.count)
    triage[0x2C] = UInt64(stack.count)
    file += stack
    Self.align8(&file)

    // Driver list, then the string pool it points into. DUMP_DRIVER_ENTRY64 (0x90 bytes) or
    // DUMP_DRIVER_ENTRY32 (0x4C): name offset, then the KLDR_DATA_TABLE_ENTRY copy.
    let stride = wide ? 0x90 : 0x4C
    let (baseAt, sizeAt, checksumAt, stampAt) =
      wide ? (0x38, 0x48, 0x80, 0x88) : (0x1C, 0x24, 0x44, 0x48)
    let listOffset = file.count
    triage[0x30] = UInt64(listOffset)
    triage[0x34] = UInt64(modules.count)
    file += [UInt8](repeating: 0, count: modules.count * stride)
    let poolOffset = file.count
    triage[0x38] = UInt64(poolOffset)
    for (index, module) in modules.enumerated() {
      let entry = listOffset + index * stride
      Self.put32(UInt32(file.count), at: entry, in: &file)
      putPointer(module.base, at: entry + baseAt, in: &file)
      Self.put32(module.size, at: entry + sizeAt, in: &file)
      Self.put32(module.checksum, at: entry + checksumAt, in: &file)
      Self.put32(module.timeDateStamp, at: entry + stampAt, in: &file)
      let units = Array(module.path.utf16)
      var record = [UInt8](repeating: 0, count: 4)
      Self.put32(UInt32(units.count), at: 0, in: &record)
      for unit in units { record += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
      record += [0, 0]
      file += record
      Self.align8(&file)
    }
    triage[0x3C] = UInt64(file.count - poolOffset)

    // Where TRIAGE_DUMP64 and TRIAGE_DUMP32 differ: from TopOfStack on.
    let (debuggerAt, blocksAt) = wide ? (0x70, 0x78) : (0x58, 0x60)
    triage[debuggerAt] = UInt64(file.count)
    triage[debuggerAt + 4] = 0x380
    file += SyntheticKernel.debuggerData(
      kernBase: kernBase, psLoadedModuleList: header.psLoadedModuleList ?? 0,
      kiProcessorBlock: kiProcessorBlock)

    // Data blocks (TRIAGE_DATA_BLOCK, 16 bytes in both): the table, then their bytes.
    let tableOffset = file.count
    triage[blocksAt] = UInt64(tableOffset)
    triage[blocksAt + 4] = UInt64(dataBlocks.count)
    file += [UInt8](repeating: 0, count: dataBlocks.count * 16)
    for (index, block) in dataBlocks.enumerated() {
      Self.put64(block.0, at: tableOffset + index * 16, in: &file)
      Self.put32(UInt32(file.count), at: tableOffset + index * 16 + 8, in: &file)
      Self.put32(UInt32(block.1.count), at: tableOffset + index * 16 + 12, in: &file)
      file += block.1
    }
    Self.align8(&file)

    let validOffset = file.count
    file += Array("TRGD".utf8)
    triage[0x04] = UInt64(file.count)
    triage[0x08] = UInt64(validOffset)
    triage[0x0C] = wide ? 0x348 : 0x320
    triage[0x10] = wide ? 0xF00 : 0x7D0
    triage[0x44] = 0xFFFF_FFFF
    for (offset, value) in triage where offset != 0x48 {
      Self.put32(UInt32(truncatingIfNeeded: value), at: triageBase + offset, in: &file)
    }
    putPointer(topOfStack, at: triageBase + 0x48, in: &file)
    Self.put64(UInt64(file.count), at: 0xFA0, in: &file)
    return file
  }

  /// Writes the dump to `path`.
  public func write(to path: String) throws {
    try Data(bytes()).write(to: URL(fileURLWithPath: path))
  }
}
