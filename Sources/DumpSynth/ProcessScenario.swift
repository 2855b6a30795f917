/// An x64 19041 machine whose memory holds a process list (`SyntheticProcess.examples()` at
/// `ProcessLayout.x64Build19041`), the loaded-module list, a KDDEBUGGER_DATA64 with the
/// structure offsets a real kernel publishes there, and a 0x9F DRIVER_POWER_STATE_FAILURE whose
/// blocked IRP contoso.sys holds: the memory dumps `crashsift analyze --processes` and the 0x9F
/// bucketing are tested on.
public enum ProcessScenario {
  public static let head: UInt64 = 0xFFFF_F804_7C61_E200
  static let kdbgVA: UInt64 = 0xFFFF_F804_7C60_0B20
  static let moduleHead: UInt64 = 0xFFFF_F804_7C62_A390
  static let processorBlock: UInt64 = 0xFFFF_F804_7C6F_DC80
  /// The 0x9F bug check's PDO (Arg2, contoso.sys's), the filter's device attached above it, and
  /// the blocked IRP (Arg4).
  public static let pdo: UInt64 = 0xFFFF_C08B_E100_0000
  public static let upperDevice: UInt64 = 0xFFFF_C08B_E120_0000
  public static let blockedIRP: UInt64 = 0xFFFF_C08B_E130_0000
  /// nt!ObTypeIndexTable, nt!ObHeaderCookie (and its value), and where the object types go:
  /// what a reader needs to name the type of the objects the processes' handles refer to.
  public static let objectTypeIndexTable: UInt64 = 0xFFFF_F804_7C6F_B000
  public static let objectHeaderCookie: UInt64 = 0xFFFF_F804_7C6F_BF00
  public static let headerCookie: UInt8 = 0x9C
  static let objectTypes: UInt64 = 0xFFFF_C08B_DB00_0000
  /// Where the KPRCBs go, one per running thread, 64 KiB apart.
  static let prcbs: UInt64 = 0xFFFF_C08B_E200_0000

  /// The dump file's bytes in `layout` (full, bitmap or RDMP), reporting `build`, with `kernel`
  /// (name, timestamp, size) as the first loaded module instead of the default ntoskrnl.exe.
  /// - Parameters:
  ///   - bugCheck: another bug check than the 0x9F (code and four parameters).
  ///   - memory: more bytes to place, by virtual address (e.g. a stack slot a test reads).
  public static func bytes(
    _ layout: KernelDumpWriter.Layout, processes: [SyntheticProcess] = SyntheticProcess.examples(),
    build: UInt32 = 19041, kernel: SyntheticKernel.Module? = nil,
    bugCheck: (code: UInt32, parameters: [UInt64])? = nil, memory: [(UInt64, [UInt8])] = []
  ) -> [UInt8] {
    var modules = PagingScenario.x64Modules
    if let kernel { modules[0] = kernel }
    let kernel = SyntheticKernel()
    kernel.writeDebuggerData(
      virtual: kdbgVA, kernBase: modules[0].base, psLoadedModuleList: moduleHead,
      kiProcessorBlock: processorBlock, psActiveProcessHead: head, typeOffsets: true)
    kernel.writeModuleList(head: moduleHead, entries: 0xFFFF_F804_7D00_0000, modules: modules)
    kernel.writeProcesses(
      head: head, processes, layout: .x64Build19041, headerCookie: headerCookie)
    kernel.writeObjectTypes(
      table: objectTypeIndexTable, types: objectTypes, layout: .x64Build19041,
      cookie: headerCookie, cookieAddress: objectHeaderCookie)
    var writer = KernelDumpWriter(layout: layout)
    // One processor per running thread: processor 0 runs the first (the crashing thread, whose
    // registers are the header context); the others were frozen with the registers their KPRCB
    // keeps in ProcessorState.ContextFrame (OffsetPrcbProcStateContext 0x1F0), inside nt.
    let running = processes.flatMap(\.threads).filter { $0.state == 2 }
    // An address `offset` into the kernel image, folded into its code when the image is small
    // (the stand-in kernel-types image).
    let span = UInt64(modules[0].size)
    let inKernel = { (offset: UInt64) -> UInt64 in
      modules[0].base
        + (offset < span || span <= 0x1000 ? offset : 0x1000 + offset % (span - 0x1000))
    }
    writer.processors = UInt32(max(running.count, 1))
    for (index, thread) in running.enumerated() {
      let prcb = prcbs + UInt64(index) * 0x1_0000
      kernel.writePointer(virtual: processorBlock + UInt64(index) * 8, prcb)
      kernel.write(virtual: prcb, [UInt8](repeating: 0, count: 0x800))
      kernel.writePointer(virtual: prcb + 0x8, thread.address)
      if index > 0 {
        kernel.writeContextAMD64(
          virtual: prcb + 0x1F0, rip: inKernel(0x20_1000 + UInt64(index) * 0x10),
          rsp: thread.kernelStack - 0x100, rbp: thread.kernelStack - 0x40)
      }
    }
    // The crashing thread stopped in nt (as in KeBugCheckEx), on its own stack.
    writer.rip = inKernel(0x20_0F00)
    writer.rsp = (running.first?.kernelStack ?? 0xFFFF_8504_2989_2C00) - 0x200
    writer.build = build
    writer.psLoadedModuleList = moduleHead
    writer.kdDebuggerDataBlock = kdbgVA
    writer.psActiveProcessHead = head
    // 0x9F Arg1 = 3: a device stack whose PDO contoso.sys owns, with a filter driver attached
    // above it; the blocked power IRP (Arg4) is pending in the filter's stack location.
    kernel.writeDevice(
      pdo, driver: 0xFFFF_C08B_E110_0000, name: #"\Driver\contoso"#, start: modules[2].base,
      size: modules[2].size, attached: upperDevice)
    kernel.writeDevice(
      upperDevice, driver: 0xFFFF_C08B_E140_0000, name: #"\Driver\ContosoFilter"#,
      start: modules[1].base, size: modules[1].size)
    kernel.writeIRP(blockedIRP, stackCount: 4, current: 3, device: upperDevice)
    writer.bugCheckCode = 0x9F
    writer.bugCheckParameters = [0x3, pdo, 0xFFFF_F804_7C80_0000, blockedIRP]
    if let bugCheck {
      writer.bugCheckCode = bugCheck.code
      writer.bugCheckParameters = bugCheck.parameters
    }
    for (address, bytes) in memory { kernel.write(virtual: address, bytes) }
    return writer.bytes(kernel)
  }
}
