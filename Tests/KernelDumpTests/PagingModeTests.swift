import ByteReader
import CrashsiftTestSupport
import DumpSynth
import Foundation
import Testing

@testable import KernelDump

/// ARM64 and 32-bit x86 (PAE and not) dumps from the writer: page tables the writer builds with
/// its own walk, read back by crashsift's translation, module list walk, KDDEBUGGER_DATA64 and
/// current thread. For ARM64, kdmp-parser also reads the physical pages and the 4 KiB-mapped
/// virtual addresses (an ARM64 table or page descriptor with AF set decodes the same under the
/// x64 walk kdmp-parser does, so those reads are an independent check; block mappings are not).
@Suite("Paging modes: ARM64 and 32-bit x86 dumps")
struct PagingModeTests {
  typealias Machine = PagingScenario.Machine
  static let machines = PagingScenario.machines
  static let modules32 = PagingScenario.modules32
  static let layouts = PagingScenario.layouts
  static func kernel(_ m: Machine) -> SyntheticKernel { PagingScenario.kernel(m) }
  static func writer(_ m: Machine, _ layout: KernelDumpWriter.Layout) -> KernelDumpWriter {
    PagingScenario.writer(m, layout)
  }

  static var cases: [String] {
    machines.flatMap { machine in layouts.map { "\(machine.name)/\($0.0)" } }
  }

  static func mode(_ m: Machine) -> PagingMode {
    switch m.paging {
    case .x64: return .x64
    case .arm64: return .arm64
    case .x86PAE: return .x86PAE
    case .x86: return .x86
    }
  }

  /// The ARM64 cases, the only ones kdmp-parser's x64 walk can check.
  static var arm64Cases: [String] {
    cases.filter { name in
      machines.contains { name.hasPrefix("\($0.name)/") && $0.machine == 0xAA64 }
    }
  }

  /// Writes the dump `name` (machine/layout) into `dir`: its machine, kernel, writer and path.
  static func write(_ name: String, in dir: TemporaryDirectory) throws
    -> (Machine, SyntheticKernel, KernelDumpWriter, String)
  {
    let parts = name.split(separator: "/").map(String.init)
    let m = try #require(Self.machines.first { $0.name == parts[0] })
    let layout = try #require(Self.layouts.first { $0.0 == parts[1] }).1
    let kernel = Self.kernel(m)
    let writer = Self.writer(m, layout)
    let path = dir.file("\(m.name)-\(parts[1]).dmp")
    try writer.write(kernel, to: path)
    return (m, kernel, writer, path)
  }

  @Test("translation, module list, KDBG and current thread", arguments: cases)
  func machineLayout(name: String) throws {
    let dir = TemporaryDirectory()
    let (m, kernel, writer, path) = try Self.write(name, in: dir)
    let dump = try KernelDump(path: path)

    #expect(dump.problems.isEmpty, "\(dump.problems)")
    #expect(dump.header.is64Bit == m.wide)
    #expect(dump.pagingMode == Self.mode(m))
    #expect(dump.physicalMemory?.allPFNs() == kernel.pages.keys.sorted())
    for pfn in kernel.pages.keys {
      #expect(dump.physicalPage(pfn).map { Array($0) } == kernel.pages[pfn], "PFN \(pfn)")
    }
    let data = try dump.read(virtual: m.dataVA, count: 16)
    #expect(String(decoding: data, as: UTF8.self) == "SYNTHETIC-PAGE!\0")
    // Large pages: the offset inside the page carries over, up to the page's full size.
    #expect(dump.translate(virtual: m.largeVA + 0x5123) == 0x40_5123)
    #expect(dump.translate(virtual: m.largeVA + m.largeSize - 1) == 0x40_0000 + m.largeSize - 1)
    #expect(
      String(decoding: try dump.read(virtual: m.largeVA + 0x5000, count: 12), as: UTF8.self)
        == "LARGE-PAGE-5")
    #expect(throws: ParseError.self) { try dump.read(virtual: m.largeVA + 0x6000, count: 1) }
    #expect(dump.translate(virtual: m.transitionVA) == nil)
    #expect(dump.translate(virtual: m.dataVA + 0x10_0000) == nil)

    #expect(dump.modules.map(\.name) == m.modules.map(\.name))
    #expect(dump.modules.map(\.path) == m.modules.map(\.path))
    #expect(dump.modules.map(\.base) == m.modules.map(\.base))
    #expect(dump.modules.map(\.size) == m.modules.map(\.size))
    #expect(dump.modules.map(\.checksum) == m.modules.map(\.checksum))
    #expect(dump.modules.map(\.timeDateStamp) == m.modules.map(\.timeDateStamp))
    // 32-bit: the KDBG's sign-extended pointers come back as 32-bit addresses.
    #expect(dump.debuggerData?.kernBase == m.modules[0].base)
    #expect(dump.debuggerData?.psLoadedModuleList == m.moduleHead)
    #expect(dump.kernelBase == m.modules[0].base)
    #expect(dump.currentThread == m.thread)
    #expect(dump.currentProcess == m.process)
    #expect(dump.module(containing: writer.bugCheckParameters[3])?.name == "contoso.sys")
    #expect(dump.context?.stackPointer == m.rsp)
    #expect(dump.context?.instructionPointer == m.modules[2].base + 0x334C)
    #expect(dump.exception?.code == 0x8000_0003)
    #expect(dump.exception?.address == m.modules[2].base + 0x334C)
    // A sign-extended 32-bit address names the same byte.
    if !m.wide {
      #expect(try dump.read(virtual: m.stored(m.dataVA), count: 16) == data)
    }
  }

  @Test(
    "ARM64: kdmp-parser's x64 walk decodes 4 KiB-mapped ARM64 descriptors the same way",
    .requires(.oraclePython, .oracleScript("kdmp_oracle.py")), arguments: arm64Cases)
  func arm64Oracle(name: String) throws {
    let dir = TemporaryDirectory()
    let (m, _, _, path) = try Self.write(name, in: dir)
    let dump = try KernelDump(path: path)
    let reads: [(UInt64, Int)] = [
      (m.dataVA, 16), (m.kdbgVA, 0x40), (m.moduleHead, 16), (m.dataVA + 0xFF0, 16),
    ]
    let oracle = try SyntheticDumpTests.oracle(path, reads: reads)
    let virtualReads = try #require(oracle["virtual_reads"] as? [[String: Any]])
    #expect(virtualReads.allSatisfy { $0["ok"] as? Bool == true })
    try SyntheticDumpTests.comparePagesAndReads(dump, oracle: oracle, reads: reads)
  }

  @Test(
    "ARM64: reserved descriptors (a level-0 block, a level-3 entry with bit 1 clear) are not present"
  )
  func arm64Reserved() throws {
    let kernel = SyntheticKernel(paging: .arm64)
    let va: UInt64 = 0xFFFF_F800_1234_0000
    kernel.write(virtual: va, Array("OK".utf8))
    let pfn = try #require(kernel.pfn(mappedAt: va))
    var writer = KernelDumpWriter(layout: .full)
    writer.machine = 0xAA64
    let dir = TemporaryDirectory()
    // Level 3 with bit 1 clear: the page's descriptor becomes a reserved encoding.
    let pt = try #require(Self.tableHolding(kernel, va: va))
    var page = try #require(kernel.pages[pt])
    let slot = Int((va >> 12) & 0x1FF) * 8
    page[slot] = page[slot] & ~0x2
    kernel.setPage(pt, page)
    try writer.write(kernel, to: dir.file("l3.dmp"))
    let dump = try KernelDump(path: dir.file("l3.dmp"))
    #expect(dump.pagingMode == .arm64)
    #expect(dump.translate(virtual: va) == nil)
    // Level 0 with bit 1 clear (a "block" there is reserved): nothing below it is reachable.
    var root = try #require(kernel.pages[kernel.pml4PFN])
    let rootSlot = Int((va >> 39) & 0x1FF) * 8
    root[rootSlot] = root[rootSlot] & ~0x2
    page[slot] = page[slot] | 0x2
    kernel.setPage(pt, page)
    kernel.setPage(kernel.pml4PFN, root)
    try writer.write(kernel, to: dir.file("l0.dmp"))
    let l0 = try KernelDump(path: dir.file("l0.dmp"))
    #expect(l0.translate(virtual: va) == nil)
    #expect(pfn > 0)
  }

  /// The PFN of the last-level table that maps `va` (the writer's own tables, walked here with
  /// the ARM64 4-level layout).
  static func tableHolding(_ kernel: SyntheticKernel, va: UInt64) -> UInt64? {
    var table = kernel.pml4PFN
    for level in 0..<3 {
      guard let page = kernel.pages[table] else { return nil }
      let slot = Int((va >> UInt64(39 - 9 * level)) & 0x1FF) * 8
      var entry: UInt64 = 0
      for byte in 0..<8 { entry |= UInt64(page[slot + byte]) << (8 * UInt64(byte)) }
      table = (entry >> 12) & 0xF_FFFF_FFFF
    }
    return table
  }
}
