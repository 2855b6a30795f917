/// Finds the caller of the newest frame on x64: unwind info from the image's `.pdata` (the only
/// reliable source on Windows x64: neither MSVC nor clang keep a frame-pointer chain there), then
/// a `.sym`'s STACK CFI, then scanning.
struct X64Walker {
  let walker: StackWalker

  func caller(of frames: [StackFrame]) -> StackWalker.Step {
    guard let callee = frames.last else { return .cut("no frame") }
    let exact = callee.trust == .context || callee.trust == .trap
    let lookup = callee.lookupAddress
    let unwinder = X64Unwinder(memory: walker.memory)
    if let (index, module) = walker.modules.loadedModule(containing: lookup) {
      let code = walker.modules.code(index)
      let rva = UInt32(truncatingIfNeeded: lookup &- module.base)
      if !code.runtimeFunctions.isEmpty {
        var outcome = unwinder.unwind(callee.registers, rva: rva, code: code, exact: exact)
        if case .noInfo = outcome, exact { outcome = unwinder.leaf(callee.registers) }
        switch outcome {
        case .caller(let registers, let trap):
          guard let ip = registers[RegisterSet.ip], let sp = registers[RegisterSet.sp] else {
            return .cut("the unwind lost the instruction or stack pointer")
          }
          return .frame(
            StackFrame(
              instruction: ip, stackPointer: sp, registers: registers, trust: trap ? .trap : .cfi,
              module: nil))
        case .failed(let reason):
          return .cut("\(module.name): \(reason)")
        case .noInfo:
          break
        }
      } else if let rules = code.stackInfo?.cfiRules(at: rva),
        let step = walker.cfiCaller(of: callee, rules: rules, x64: true)
      {
        return step
      } else if let step = prologueCaller(of: callee, module: module, code: code, rva: rva) {
        return step
      }
    }
    return walker.scannedCaller(of: callee, start: callee.stackPointer, x64: true)
  }

  /// Without unwind info: the symbols give the function's start, and when its code is in the dump
  /// the prologue says how far RSP moved. Accepted only when the return address it finds is a
  /// call site.
  func prologueCaller(of callee: StackFrame, module: UnwindModule, code: ModuleCode, rva: UInt32)
    -> StackWalker.Step?
  {
    guard let hit = code.symbols?.lookup(rva), hit.isCode, rva > hit.symbolRVA else { return nil }
    let start = module.base &+ UInt64(hit.symbolRVA)
    let wanted = 128
    guard
      let bytes = walker.memory.bytes(at: start, count: wanted)
        ?? code.codeBytes(rva: hit.symbolRVA, count: wanted)
    else { return nil }
    // A caller frame is at a call site, past its prologue; frame 0 may be inside it.
    let exact = callee.trust == .context || callee.trust == .trap
    let limit = exact ? Int(rva - hit.symbolRVA) : bytes.count
    let prologue = X64Prologue(code: bytes, limit: limit)
    guard prologue.instructions > 0,
      let registers = prologue.unwind(callee.registers, memory: walker.memory),
      let ip = registers[RegisterSet.ip], let sp = registers[RegisterSet.sp],
      walker.isCallSite(ip, x64: true)
    else { return nil }
    return .frame(
      StackFrame(
        instruction: ip, stackPointer: sp, registers: registers, trust: .prologue, module: nil))
  }
}
