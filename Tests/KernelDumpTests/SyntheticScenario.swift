import DumpSynth
import Foundation

/// One synthetic machine used by the differential and hostile tests: page tables with 4 KiB and
/// 2 MiB mappings, a not-present (transition) PTE, a KDDEBUGGER_DATA64, a module list, a KPRCB
/// with its current thread and process, and a sparse high page.
enum SyntheticScenario {
  static let dataVA: UInt64 = 0xFFFF_F800_1234_0000
  static let largeVA: UInt64 = 0xFFFF_F800_1260_0000
  static let transitionVA: UInt64 = 0xFFFF_F800_1234_1000
  static let kdbgVA: UInt64 = 0xFFFF_F804_7C60_0B20
  static let moduleHead: UInt64 = 0xFFFF_F804_7C62_A390
  static let processorBlock: UInt64 = 0xFFFF_F804_7C6F_DC80
  static let prcb: UInt64 = 0xFFFF_F804_7700_0000
  static let thread: UInt64 = 0xFFFF_C08B_DE9E_1640
  static let process: UInt64 = 0xFFFF_C08B_DCE9_4180
  static let rsp: UInt64 = 0xFFFF_8504_2989_2120

  static let modules = PagingScenario.x64Modules

  static func kernel() -> SyntheticKernel {
    let kernel = SyntheticKernel()
    kernel.write(virtual: dataVA, Array("SYNTHETIC-PAGE!\0".utf8))
    // A 2 MiB page over PFNs 0x200–0x3FF; only PFN 0x205 is present in the dump.
    kernel.mapLarge(virtual: largeVA, toPFN: 0x200)
    kernel.setPage(0x205, Array("LARGE-PAGE-5".utf8))
    kernel.mapNotPresent(virtual: transitionVA, rawPTE: (0x7000 << 12) | 0x800)
    kernel.writeDebuggerData(
      virtual: kdbgVA, kernBase: modules[0].base, psLoadedModuleList: moduleHead,
      kiProcessorBlock: processorBlock)
    kernel.writeModuleList(head: moduleHead, entries: 0xFFFF_F804_7D00_0000, modules: modules)
    // KiProcessorBlock[0..1]; CPU 1's saved context has the header RSP, so it is the crashing one.
    let otherPrcb = prcb + 0x10000
    kernel.write64(virtual: processorBlock, otherPrcb)
    kernel.write64(virtual: processorBlock + 8, prcb)
    kernel.write64(virtual: otherPrcb + 0x8, 0xFFFF_C08B_0000_0001)
    kernel.write64(virtual: otherPrcb + 0x85C0, 0xFFFF_F804_7710_0000)
    kernel.write64(virtual: 0xFFFF_F804_7710_0000 + 0x98, 0x1234)
    kernel.write64(virtual: prcb + 0x8, thread)
    kernel.write64(virtual: prcb + 0x85C0, 0xFFFF_F804_7720_0000)
    kernel.write64(virtual: 0xFFFF_F804_7720_0000 + 0x98, rsp)
    kernel.write64(virtual: thread + 0xB8, process)
    kernel.write(virtual: process + 0x5A8, Array("System\0".utf8))
    // A sparse page far above the rest: bitmaps get long, runs get a gap.
    kernel.setPage(0x4_1234, Array("HIGH-PAGE".utf8))
    return kernel
  }

  static let layouts: [(String, KernelDumpWriter.Layout)] = [
    ("full", .full), ("bitmap5", .bitmap(type: 5, signature: "SDMP")),
    ("bitmap6", .bitmap(type: 6, signature: "FDMP")), ("rdmp8", .rdmp(type: 8)),
    ("rdmp9", .rdmp(type: 9)), ("rdmp10", .rdmp(type: 10)),
  ]

  static func writer(_ layout: KernelDumpWriter.Layout) -> KernelDumpWriter {
    var writer = KernelDumpWriter(layout: layout)
    writer.psLoadedModuleList = moduleHead
    writer.kdDebuggerDataBlock = kdbgVA
    writer.rsp = rsp
    writer.bugCheckCode = 0xD1
    writer.bugCheckParameters = [0x11, 0x2, 0x0, modules[2].base + 0x334C]
    return writer
  }
}
