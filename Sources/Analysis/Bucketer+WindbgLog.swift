extension Bucketer {
  /// What crashed, as the log's bug check line or BUGCHECK_CODE/P1–P4 say.
  public static func crash(of log: WindbgLog) -> Crash {
    .kernel(code: log.bugCheckCode, parameters: log.parameters)
  }

  /// The printed stack as the bucketer reads it: modules by WinDbg's names (`nt`, `mydrv`), the
  /// frame below a `(TrapFrame @ …)` line restored from that trap frame, each frame's instruction
  /// from the RetAddr column of the line above (where the log printed real values).
  public static func frames(_ log: WindbgLog) -> [Frame] {
    var frames: [Frame] = []
    frames.reserveCapacity(log.frames.count)
    for (index, line) in log.frames.enumerated() {
      let above = index > 0 ? log.frames[index - 1] : nil
      frames.append(
        Frame(
          image: line.module, moduleOffset: line.function == nil ? line.offset : nil,
          function: line.function, functionOffset: line.function == nil ? nil : line.offset,
          trust: above?.trapFrame != nil ? "trap" : "windbg",
          instruction: above?.returnAddress ?? line.address, stackPointer: line.childSP))
    }
    return frames
  }

  /// The frame at the bug check's faulting address, from the log's FAULTING_IP.
  public static func faultingFrame(_ log: WindbgLog) -> Frame? {
    guard let site = log.faultingIP, let module = site.module else { return nil }
    return Frame(
      image: module, moduleOffset: site.function == nil ? site.offset : nil,
      function: site.function, functionOffset: site.function == nil ? nil : site.offset,
      trust: "faulting-ip")
  }

  /// The `.trap`/`.cxr` the printed stack was taken after, when it was: the log names a
  /// TRAP_FRAME or CONTEXT and its stack does not start in the bug-check call (WinDbg prints
  /// STACK_TEXT after switching to the fault's context when it could).
  public static func context(of log: WindbgLog) -> FaultContext? {
    guard let switched = log.contexts.last(where: { $0.kind == "trap" || $0.kind == "cxr" }),
      let top = log.frames.first
    else { return nil }
    let site = top.callSite.lowercased()
    let plumbing = ["!kebugcheck", "!kibugcheck", "!dbgbreakpoint", "!rtlpbreakwithstatus"]
    if plumbing.contains(where: { site.contains($0) }) { return nil }
    return FaultContext(kind: switched.kind, address: switched.address)
  }
}
