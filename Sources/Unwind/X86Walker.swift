/// Finds the caller of the newest frame on x86: `STACK WIN` frame data (breakpad
/// `stackwalker_x86.cc` `GetCallerByWindowsFrameInfo`), then STACK CFI, then the EBP chain, then
/// scanning.
struct X86Walker {
  let walker: StackWalker

  func caller(of frames: [StackFrame]) -> StackWalker.Step {
    guard let callee = frames.last else { return .cut("no frame") }
    if let (index, module) = walker.modules.loadedModule(containing: callee.lookupAddress) {
      let code = walker.modules.code(index)
      let rva = UInt32(truncatingIfNeeded: callee.lookupAddress &- module.base)
      if let record = code.stackInfo?.stackWin(at: rva),
        let step = stackWinCaller(of: frames, record: record)
      {
        return step
      }
      if let rules = code.stackInfo?.cfiRules(at: rva),
        let step = walker.cfiCaller(of: callee, rules: rules, x64: false)
      {
        return step
      }
    }
    if let step = framePointerCaller(of: callee) { return step }
    return walker.scannedCaller(of: callee, start: callee.stackPointer, x64: false)
  }

  /// The parameter bytes the callee of `frame` popped or left: the `.cbCalleeParams` of breakpad.
  func parameterSize(of frame: StackFrame) -> UInt32 {
    guard let (index, module) = walker.modules.loadedModule(containing: frame.lookupAddress) else {
      return 0
    }
    let rva = UInt32(truncatingIfNeeded: frame.lookupAddress &- module.base)
    return walker.modules.code(index).stackInfo?.stackWin(at: rva)?.parameterSize ?? 0
  }

  func stackWinCaller(of frames: [StackFrame], record: StackWinRecord) -> StackWalker.Step? {
    guard let callee = frames.last, let esp = callee.registers[RegisterSet.sp] else { return nil }
    let calleeParameters = frames.count >= 2 ? parameterSize(of: frames[frames.count - 2]) : 0
    var variables: [Substring: UInt64] = [
      "$esp": esp,
      ".cbCalleeParams": UInt64(calleeParameters),
      ".cbSavedRegs": UInt64(record.savedRegisterSize),
      ".cbLocals": UInt64(record.localSize),
      ".cbParams": UInt64(record.parameterSize),
    ]
    for (register, name) in [(3, "$ebx"), (5, "$ebp"), (6, "$esi"), (7, "$edi")] {
      if let value = callee.registers[register] { variables[Substring(name)] = value }
    }
    var searchStart =
      esp &+ UInt64(calleeParameters) &+ UInt64(record.localSize)
      &+ UInt64(record.savedRegisterSize)
    // Up to three words above, in case the stack was aligned (breakpad does the same).
    if let (slot, _) = walker.scan(from: searchStart, slots: 4, x64: false) { searchStart = slot }
    variables[".raSearchStart"] = searchStart
    variables[".raSearch"] = searchStart
    let program: Substring
    if let text = record.program {
      program = Substring(text)
    } else if record.allocatesBasePointer {
      program =
        "$eip .raSearchStart ^ = $esp .raSearchStart 4 + = $ebp $esp .cbCalleeParams - .cbSavedRegs - 8 - ^ ="
    } else {
      program = "$eip .raSearchStart ^ = $esp .raSearchStart 4 + ="
    }
    var evaluator = PostfixEvaluator(variables: variables, x64: false, memory: walker.memory)
    guard (try? evaluator.run(program)) != nil, let eip = evaluator.variables["$eip"],
      let newESP = evaluator.variables["$esp"]
    else { return nil }
    var registers = callee.registers.calleeSaved(x64: false)
    for (register, name) in [(3, "$ebx"), (5, "$ebp"), (6, "$esi"), (7, "$edi")] {
      if let value = evaluator.variables[Substring(name)] { registers[register] = value }
    }
    registers[RegisterSet.ip] = eip
    registers[RegisterSet.sp] = newESP
    if eip != 0, !walker.isCallSite(eip, x64: false) {
      // The program's answer is not code: search from .raSearchStart as breakpad does.
      guard
        let (slot, value) = walker.scan(from: searchStart, slots: StackWalker.scanSlots, x64: false)
      else { return nil }
      registers[RegisterSet.ip] = value
      registers[RegisterSet.sp] = slot &+ 4
      return .frame(
        StackFrame(
          instruction: value, stackPointer: slot &+ 4, registers: registers, trust: .scan,
          module: nil))
    }
    if eip == 0 { return .end("the frame data gives a zero return address: end of stack") }
    return .frame(
      StackFrame(
        instruction: eip, stackPointer: newESP, registers: registers, trust: .cfi, module: nil))
  }

  /// The classic EBP chain: `[ebp]` is the caller's EBP, `[ebp+4]` the return address.
  func framePointerCaller(of callee: StackFrame) -> StackWalker.Step? {
    guard let ebp = callee.registers[RegisterSet.fp], let esp = callee.registers[RegisterSet.sp],
      ebp >= esp, let savedEBP = walker.memory.u32(at: ebp),
      let eip = walker.memory.u32(at: ebp &+ 4)
    else { return nil }
    // A zero return address above the last saved EBP is how a thread's first frame ends the chain.
    if eip == 0 { return .end("the frame-pointer chain ends with a zero return address") }
    guard walker.isCallSite(UInt64(eip), x64: false) else { return nil }
    var registers = callee.registers.calleeSaved(x64: false)
    registers[RegisterSet.fp] = UInt64(savedEBP)
    registers[RegisterSet.ip] = UInt64(eip)
    registers[RegisterSet.sp] = ebp &+ 8
    return .frame(
      StackFrame(
        instruction: UInt64(eip), stackPointer: ebp &+ 8, registers: registers,
        trust: .framePointer,
        module: nil))
  }
}
