import ByteReader
import CPUContexts

extension KernelDump {
  /// The processors of a kernel or full memory dump (KiProcessorBlock[0 ..< NumberProcessors],
  /// at most 4,096), in order; a slot whose KPRCB pointer cannot be read is left out. Empty for
  /// triage dumps (they keep only the crashing processor's KPRCB) and without KDDEBUGGER_DATA64.
  public func processors() -> [KernelProcessor] {
    guard let paged, let kd = debuggerData, kd.kiProcessorBlock != 0 else { return [] }
    let width = UInt64(header.is64Bit ? 8 : 4)
    let count = min(Int(header.numberProcessors), 4096)
    var result: [KernelProcessor] = []
    for index in 0..<count {
      guard let prcb = try? paged.pointer(kd.kiProcessorBlock &+ UInt64(index) &* width),
        prcb != 0
      else { continue }
      result.append(
        KernelProcessor(
          number: index, prcb: prcb,
          currentThread: try? paged.pointer(prcb &+ UInt64(kd.offsetPrcbCurrentThread)),
          savedContext: prcb &+ UInt64(kd.offsetPrcbProcStateContext)))
    }
    return result
  }

  /// The registers `processor` was frozen with (KPRCB.ProcessorState.ContextFrame), read as the
  /// header context's architecture.
  public func savedContext(of processor: KernelProcessor) throws(ParseError) -> CPUContext {
    guard let kd = debuggerData, kd.offsetPrcbProcStateContext != 0 else {
      throw ParseError(
        "processor state", "KDDEBUGGER_DATA64 gives no OffsetPrcbProcStateContext")
    }
    switch context {
    case .amd64?:
      let bytes = try read(virtual: processor.savedContext, count: ContextAMD64.size)
      return .amd64(try ContextAMD64(MappedFile(copying: bytes, label: "KPRCB context").reader))
    case .arm64?:
      let bytes = try read(virtual: processor.savedContext, count: ContextARM64.size)
      return .arm64(try ContextARM64(MappedFile(copying: bytes, label: "KPRCB context").reader))
    case .x86?:
      let bytes = try read(virtual: processor.savedContext, count: ContextX86.size)
      return .x86(try ContextX86(MappedFile(copying: bytes, label: "KPRCB context").reader))
    case nil:
      throw ParseError("processor state", "the dump has no header context to tell its CPU")
    }
  }
}
