/// Synthetic ARM64 and 32-bit x86 (PAE and not) machines for tests and fixtures: a data page, a
/// large page of which one 4 KiB page is present, a transition PTE, a KDDEBUGGER_DATA64, a module
/// list, two KPRCBs (the crashing one found by its saved stack pointer), a thread and its process.
public enum PagingScenario {
  /// An x64/ARM64 kernel's modules (the same as the 64-bit kernel scenarios use).
  public static let x64Modules = [
    SyntheticKernel.Module(
      name: "ntoskrnl.exe", path: #"\SystemRoot\system32\ntoskrnl.exe"#,
      base: 0xFFFF_F804_7BA0_0000,
      size: 0x104_6000, checksum: 0xA5_938C, timeDateStamp: 0x0D83_33E6),
    SyntheticKernel.Module(
      name: "hal.dll", path: #"\SystemRoot\system32\hal.dll"#, base: 0xFFFF_F804_7944_0000,
      size: 0x6000, checksum: 0xCE9F, timeDateStamp: 0x1A7B_E8E9),
    SyntheticKernel.Module(
      name: "contoso.sys", path: #"\SystemRoot\System32\drivers\contoso.sys"#,
      base: 0xFFFF_F804_8B58_0000, size: 0x3_B000, checksum: 0x4_1234, timeDateStamp: 0x6520_0000),
  ]

  /// One machine's addresses. 32-bit kernels keep pointers in the upper 2 GiB; their
  /// KDDEBUGGER_DATA64 stores them sign-extended, as real ones do.
  public struct Machine: Sendable {
    /// A label for test names and files.
    public var name: String
    public var paging: SyntheticKernel.Paging
    public var machine: UInt32
    public var dataVA: UInt64
    public var largeVA: UInt64
    /// Bytes covered by one large page (2 MiB, or 4 MiB on x86 without PAE).
    public var largeSize: UInt64
    public var transitionVA: UInt64
    public var kdbgVA: UInt64
    public var moduleHead: UInt64
    public var moduleEntries: UInt64
    public var processorBlock: UInt64
    public var prcb: UInt64
    public var thread: UInt64
    public var process: UInt64
    public var rsp: UInt64
    public var modules: [SyntheticKernel.Module]
    /// Where CONTEXT keeps the stack pointer.
    public var spOffset: UInt64

    /// 64-bit pointers.
    public var wide: Bool { paging.pointerSize == 8 }
    /// `address` as KDDEBUGGER_DATA64 stores it (sign-extended on 32-bit kernels).
    public func stored(_ address: UInt64) -> UInt64 {
      // Sign-extend a 32-bit kernel address the way KDDEBUGGER_DATA64 stores it.
      wide ? address : UInt64(bitPattern: Int64(Int32(bitPattern: UInt32(address))))
    }
  }

  public static let modules64 = x64Modules
  /// A 32-bit Windows kernel's modules (kernel, HAL and the driver that crashes).
  public static let modules32 = [
    SyntheticKernel.Module(
      name: "ntkrnlpa.exe", path: #"\SystemRoot\system32\ntkrnlpa.exe"#, base: 0x8280_D000,
      size: 0x41_0000, checksum: 0x3C_2F11, timeDateStamp: 0x5A2B_1C3D),
    SyntheticKernel.Module(
      name: "hal.dll", path: #"\SystemRoot\system32\hal.dll"#, base: 0x8284_6000,
      size: 0x3_7000, checksum: 0x3_8A1B, timeDateStamp: 0x4CE7_8A09),
    SyntheticKernel.Module(
      name: "contoso.sys", path: #"\SystemRoot\System32\drivers\contoso.sys"#,
      base: 0x9B4A_0000, size: 0x1_B000, checksum: 0x2_1234, timeDateStamp: 0x6520_0000),
  ]

  /// An x86 machine with `paging` (`.x86PAE` or `.x86`).
  public static func x86(_ name: String, _ paging: SyntheticKernel.Paging) -> Machine {
    Machine(
      name: name, paging: paging, machine: 0x14C, dataVA: 0x8123_4000,
      largeVA: 0x8240_0000, largeSize: paging == .x86 ? 0x40_0000 : 0x20_0000,
      transitionVA: 0x8123_5000, kdbgVA: 0x8296_0C28, moduleHead: 0x8298_4850,
      moduleEntries: 0x8500_0000, processorBlock: 0x829A_0F40, prcb: 0x8297_5D20,
      thread: 0x8671_2030, process: 0x8590_C8A0, rsp: 0x8E3F_B9C0, modules: modules32,
      spOffset: 0xC4)
  }

  /// ARM64, x86 with PAE and x86 without it.
  public static let machines: [Machine] = [
    Machine(
      name: "arm64", paging: .arm64, machine: 0xAA64,
      dataVA: 0xFFFF_F800_1234_0000, largeVA: 0xFFFF_F800_1260_0000, largeSize: 0x20_0000,
      transitionVA: 0xFFFF_F800_1234_1000, kdbgVA: 0xFFFF_F804_7C60_0B20,
      moduleHead: 0xFFFF_F804_7C62_A390, moduleEntries: 0xFFFF_F804_7D00_0000,
      processorBlock: 0xFFFF_F804_7C6F_DC80, prcb: 0xFFFF_F804_7700_0000,
      thread: 0xFFFF_C08B_DE9E_1640, process: 0xFFFF_C08B_DCE9_4180,
      rsp: 0xFFFF_8504_2989_2120, modules: modules64, spOffset: 0x100),
    x86("x86-pae", .x86PAE),
    x86("x86", .x86),
  ]

  /// The dump layouts written for each machine (32-bit dumps have no RDMP form).
  public static let layouts: [(String, KernelDumpWriter.Layout)] = [
    ("full", .full), ("bitmap5", .bitmap(type: 5, signature: "SDMP")),
    ("bitmap6", .bitmap(type: 6, signature: "FDMP")),
  ]

  /// The machine's memory, page tables included.
  public static func kernel(_ m: Machine) -> SyntheticKernel {
    let kernel = SyntheticKernel(paging: m.paging)
    kernel.write(virtual: m.dataVA, Array("SYNTHETIC-PAGE!\0".utf8))
    // A large page over PFNs 0x400…; only the 6th 4 KiB page in it is present in the dump.
    kernel.mapLarge(virtual: m.largeVA, toPFN: 0x400)
    kernel.setPage(0x405, Array("LARGE-PAGE-5".utf8))
    kernel.mapNotPresent(virtual: m.transitionVA, rawPTE: (0x7000 << 12) | 0x800)
    kernel.write(
      virtual: m.kdbgVA,
      SyntheticKernel.debuggerData(
        kernBase: m.stored(m.modules[0].base), psLoadedModuleList: m.stored(m.moduleHead),
        kiProcessorBlock: m.stored(m.processorBlock)))
    kernel.writeModuleList(head: m.moduleHead, entries: m.moduleEntries, modules: m.modules)
    // Two CPUs; CPU 1's saved context has the header's stack pointer, so it is the crashing one.
    let width = UInt64(m.paging.pointerSize)
    let otherPrcb = m.prcb + 0x10000
    let otherContext = m.prcb + 0x2_0000
    let context = m.prcb + 0x3_0000
    kernel.writePointer(virtual: m.processorBlock, otherPrcb)
    kernel.writePointer(virtual: m.processorBlock + width, m.prcb)
    kernel.writePointer(virtual: otherPrcb + 0x8, m.thread + 0x100)
    kernel.writePointer(virtual: otherPrcb + 0x85C0, otherContext)
    kernel.writePointer(virtual: otherContext + m.spOffset, 0x1234)
    kernel.writePointer(virtual: m.prcb + 0x8, m.thread)
    kernel.writePointer(virtual: m.prcb + 0x85C0, context)
    kernel.writePointer(virtual: context + m.spOffset, m.rsp)
    kernel.writePointer(virtual: m.thread + 0xB8, m.process)
    kernel.setPage(0x4_1234, Array("HIGH-PAGE".utf8))
    return kernel
  }

  /// A dump writer for the machine: header pointers, context and a 0xD1 bug check in contoso.sys.
  public static func writer(_ m: Machine, _ layout: KernelDumpWriter.Layout) -> KernelDumpWriter {
    var writer = KernelDumpWriter(layout: layout)
    writer.machine = m.machine
    writer.build = m.wide ? 22000 : 19041
    writer.psLoadedModuleList = m.moduleHead
    writer.kdDebuggerDataBlock = m.kdbgVA
    writer.rsp = m.rsp
    writer.rip = m.modules[2].base + 0x334C
    writer.bugCheckCode = 0xD1
    writer.bugCheckParameters = [0x11, 0x2, 0x0, m.modules[2].base + 0x334C]
    return writer
  }

  /// A 32-bit triage dump of the x86 machines' kernel: the crash in contoso.sys (0x1000008E), one
  /// unloaded driver, a data block, and the KDBG and data-block addresses sign-extended as 32-bit
  /// Windows writes them.
  public static func triage32() -> TriageDumpWriter {
    var writer = TriageDumpWriter()
    writer.header.machine = 0x14C
    writer.header.build = 7601
    writer.modules = modules32
    writer.unloaded = [("dam.sys", 0x9C00_0000, 0x9C01_C000)]
    let fault = modules32[2].base + 0x334C
    writer.header.bugCheckCode = 0x1000_008E
    writer.header.bugCheckParameters = [0xC000_0005, fault, 0x8E3F_B9C0, 0]
    writer.header.rip = fault
    writer.header.rsp = 0x8E3F_B9C0
    writer.kernBase = 0xFFFF_FFFF_8280_D000
    writer.kiProcessorBlock = 0xFFFF_FFFF_829A_0F40
    writer.header.kdDebuggerDataBlock = 0x8296_0C28
    writer.header.psLoadedModuleList = 0xFFFF_FFFF_8298_4850
    writer.thread = 0x8671_2030
    writer.process = 0x8590_C8A0
    writer.topOfStack = 0x8E3F_B000
    writer.dataBlocks = [(0xFFFF_FFFF_8771_0000, Array("DATA-BLOCK".utf8))]
    return writer
  }
}
