/// An x64 19041 machine whose memory holds a process list (`SyntheticProcess.examples()` at
/// `ProcessLayout.x64Build19041`), the loaded-module list and a KDDEBUGGER_DATA64 with the
/// structure offsets a real kernel publishes there: the memory dumps that `crashsift analyze
/// --processes` is tested on.
public enum ProcessScenario {
  public static let head: UInt64 = 0xFFFF_F804_7C61_E200
  static let kdbgVA: UInt64 = 0xFFFF_F804_7C60_0B20
  static let moduleHead: UInt64 = 0xFFFF_F804_7C62_A390
  static let processorBlock: UInt64 = 0xFFFF_F804_7C6F_DC80

  /// The dump file's bytes in `layout` (full, bitmap or RDMP), reporting `build`, with `kernel`
  /// (name, timestamp, size) as the first loaded module instead of the default ntoskrnl.exe.
  public static func bytes(
    _ layout: KernelDumpWriter.Layout, processes: [SyntheticProcess] = SyntheticProcess.examples(),
    build: UInt32 = 19041, kernel: SyntheticKernel.Module? = nil
  ) -> [UInt8] {
    var modules = PagingScenario.x64Modules
    if let kernel { modules[0] = kernel }
    let kernel = SyntheticKernel()
    kernel.writeDebuggerData(
      virtual: kdbgVA, kernBase: modules[0].base, psLoadedModuleList: moduleHead,
      kiProcessorBlock: processorBlock, psActiveProcessHead: head, typeOffsets: true)
    kernel.writeModuleList(head: moduleHead, entries: 0xFFFF_F804_7D00_0000, modules: modules)
    kernel.writeProcesses(head: head, processes, layout: .x64Build19041)
    var writer = KernelDumpWriter(layout: layout)
    writer.build = build
    writer.psLoadedModuleList = moduleHead
    writer.kdDebuggerDataBlock = kdbgVA
    writer.psActiveProcessHead = head
    writer.bugCheckCode = 0x9F
    writer.bugCheckParameters = [0x3, 0xFFFF_C08B_DC00_0080, 0xFFFF_F804_7C80_0000, 0]
    return writer.bytes(kernel)
  }
}
