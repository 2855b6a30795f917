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

  /// The facts a kernel prefix may name (`facts(of:frames:)` for dumps), as the log prints them:
  /// for 0xEF, `critical_process` from CRITICAL_PROCESS (else PROCESS_NAME) and `exit_status`
  /// from EXCEPTION_CODE / ERROR_CODE (`(NTSTATUS) 0x66897700 - …`), else from the second
  /// Args-to-Child slot of the nt!NtTerminateProcess line, as a dump's would be read.
  public static func facts(_ log: WindbgLog) -> [String: String] {
    guard log.bugCheckCode == 0xEF else { return [:] }
    var facts: [String: String] = [:]
    if let name = log.printed["CRITICAL_PROCESS"] ?? log.processName, !name.isEmpty {
      facts["critical_process"] = bucketSafe(name)
    }
    let printed = [log.printed["EXCEPTION_CODE"], log.printed["ERROR_CODE"]].compactMap { $0 }
    if let value = printed.lazy.compactMap({ Self.firstHex($0) }).first {
      facts["exit_status"] = hex8(value)
    } else if let line = log.frames.first(where: {
      $0.function == "NtTerminateProcess" && $0.module?.lowercased() == "nt"
    }), line.arguments.count >= 2 {
      facts["exit_status"] = hex8(line.arguments[1])
    }
    return facts
  }

  /// The first `0x…` number of a printed value.
  static func firstHex(_ text: String) -> UInt64? {
    guard let range = text.range(of: "0x") else { return nil }
    let digits = text[range.upperBound...].prefix { $0.isHexDigit }
    return digits.isEmpty || digits.count > 16 ? nil : UInt64(digits, radix: 16)
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
