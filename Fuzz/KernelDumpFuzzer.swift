import ByteReader

// libFuzzer entry point for the kernel-dump reader, built by scripts/fuzz.sh with the KernelDump
// sources. Every input is opened; modules, translation, virtual reads, the process and thread
// lists and the processors' saved contexts are exercised.
@_cdecl("LLVMFuzzerTestOneInput")
public func kernelDumpFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let file = MappedFile(copying: UnsafeBufferPointer(start: data, count: size))
  guard let dump = try? KernelDump(file: file) else { return 0 }
  _ = dump.modules.count
  _ = dump.problems.count
  for parameter in dump.header.bugCheckParameters {
    _ = dump.module(containing: parameter)
    _ = try? dump.read(virtual: parameter, count: 16)
  }
  if let kdbg = dump.header.kdDebuggerDataBlock { _ = try? dump.read(virtual: kdbg, count: 64) }
  // Stack and code reads, as the stack walker does (all paging modes and triage ranges).
  if let sp = dump.context?.stackPointer { _ = dump.readPresent(virtual: sp, count: 0x2100) }
  if let ip = dump.context?.instructionPointer { _ = try? dump.read(virtual: ip, count: 16) }
  for module in dump.modules.prefix(8) { _ = try? dump.read(virtual: module.base, count: 64) }
  // The process and thread lists, as `analyze --threads` walks them (bounded, cycle-checked).
  let list = KernelProcessList.read(from: dump)
  _ = list.processes.reduce(0) { $0 + $1.threads.count }
  // Every processor's KPRCB and frozen registers, as running threads' stacks start from them.
  for processor in dump.processors().prefix(64) { _ = try? dump.savedContext(of: processor) }
  if let map = dump.physicalMemory {
    for pfn in map.allPFNs(limit: 8) { _ = dump.physicalPage(pfn) }
  }
  return 0
}
