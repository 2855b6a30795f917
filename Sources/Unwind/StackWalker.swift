import CPUContexts

/// Walks a thread's stack from its context: x64 from `.pdata` unwind info (through machine
/// frames), else `.sym` STACK CFI, else scanning; x86 from STACK WIN, STACK CFI, the EBP chain,
/// then scanning. Every frame records how it was found; every walk is bounded.
public struct StackWalker {
  /// More frames than any real stack; a walk reaching it is cut and says so.
  public static let maxFrames = 1024
  /// Pointer-sized slots scanned for a return address: breakpad and rust-minidump use 40, or 160
  /// below a frame found from the context or CFI.
  public static let scanSlots = 40
  public static let scanSlotsTrusted = 160

  public let memory: any StackMemory
  public let modules: ModuleMap
  /// The thread's stack range when known (minidump stack memory, kernel stack base/limit): the
  /// walk stops when the stack pointer leaves it.
  public let stackRange: Range<UInt64>?

  public init(memory: any StackMemory, modules: ModuleMap, stackRange: Range<UInt64>? = nil) {
    self.memory = memory
    self.modules = modules
    self.stackRange = stackRange
  }

  enum Step {
    case frame(StackFrame)
    /// The normal end of the stack.
    case end(String)
    /// Cut by bad data or a bound.
    case cut(String)
  }

  /// Walks from `context`. ARM64 contexts are not walked yet: the frame 0 alone is returned.
  public func walk(_ context: CPUContext) -> StackWalk {
    let registers = RegisterSet(context)
    guard let ip = registers[RegisterSet.ip], let sp = registers[RegisterSet.sp] else {
      return StackWalk(
        frames: [], stopReason: "the context has no instruction or stack pointer", truncated: true)
    }
    let first = StackFrame(
      instruction: ip, stackPointer: sp, registers: registers, trust: .context,
      module: modules.index(containing: ip))
    switch context {
    case .amd64: return walk(from: first, architecture: .x64)
    case .x86: return walk(from: first, architecture: .x86)
    case .arm64: return walk(from: first, architecture: .arm64)
    }
  }

  /// The instruction sets the walker knows.
  public enum Architecture: Sendable { case x86, x64, arm64 }

  /// Walks from a given first frame (a trap frame's context, for instance).
  public func walk(from first: StackFrame, x64: Bool) -> StackWalk {
    walk(from: first, architecture: x64 ? .x64 : .x86)
  }

  /// Walks from a given first frame.
  public func walk(from first: StackFrame, architecture: Architecture) -> StackWalk {
    var frames = [first]
    while true {
      guard frames.count < Self.maxFrames else {
        return StackWalk(
          frames: frames, stopReason: "stopped at the \(Self.maxFrames)-frame limit",
          truncated: true)
      }
      let step: Step
      switch architecture {
      case .x64: step = X64Walker(walker: self).caller(of: frames)
      case .x86: step = X86Walker(walker: self).caller(of: frames)
      case .arm64: step = ARM64Walker(walker: self).caller(of: frames)
      }
      switch step {
      case .end(let reason):
        return StackWalk(frames: frames, stopReason: reason, truncated: false)
      case .cut(let reason):
        return StackWalk(frames: frames, stopReason: reason, truncated: true)
      case .frame(var frame):
        guard let callee = frames.last else {
          return StackWalk(frames: frames, stopReason: "", truncated: true)
        }
        if frame.instruction < 4096 {
          return StackWalk(
            frames: frames,
            stopReason: "end of stack (return address 0x\(String(frame.instruction, radix: 16)))",
            truncated: false)
        }
        if architecture == .x64, !Self.isCanonical(frame.instruction) {
          return StackWalk(
            frames: frames,
            stopReason:
              "the next return address 0x\(String(frame.instruction, radix: 16)) is not canonical",
            truncated: true)
        }
        // A trap may switch stacks (user to kernel); otherwise each caller's frame is above.
        if frame.trust != .trap, frame.stackPointer <= callee.stackPointer {
          return StackWalk(
            frames: frames,
            stopReason:
              "the stack pointer did not increase (0x\(String(frame.stackPointer, radix: 16)) after 0x\(String(callee.stackPointer, radix: 16)))",
            truncated: true)
        }
        if let stackRange, frame.trust != .trap, !stackRange.contains(frame.stackPointer),
          frame.stackPointer != stackRange.upperBound
        {
          return StackWalk(
            frames: frames, stopReason: "the stack pointer left the thread's stack",
            truncated: false)
        }
        frame.module = modules.index(containing: frame.lookupAddress)
        frames.append(frame)
      }
    }
  }

  static func isCanonical(_ address: UInt64) -> Bool {
    address < 0x0000_8000_0000_0000 || address >= 0xFFFF_8000_0000_0000
  }

  /// Scans up from `start` for a slot holding a plausible return address: inside a loaded module
  /// and, where the module's symbols or unwind info can tell, at a call site (checked on the
  /// address − 1, for calls to noreturn functions).
  func scan(from start: UInt64, slots: Int, x64: Bool) -> (slot: UInt64, value: UInt64)? {
    let width: UInt64 = x64 ? 8 : 4
    var address = start
    for _ in 0..<slots {
      guard let value = memory.pointer(at: address, x64: x64) else { return nil }
      if value >= 4096, isCallSite(value, x64: x64) { return (address, value) }
      address &+= width
    }
    return nil
  }

  func isCallSite(_ returnAddress: UInt64, x64: Bool) -> Bool {
    if x64, !Self.isCanonical(returnAddress) { return false }
    guard let (index, module) = modules.loadedModule(containing: returnAddress &- 1) else {
      return false
    }
    let rva = returnAddress &- 1 &- module.base
    guard rva <= UInt64(UInt32.max) else { return false }
    let code = modules.code(index)
    guard code.seemsCallSite(UInt32(rva)) else { return false }
    // The return address's own offset is rva + 1, not returnAddress − base: a module whose range
    // wraps past 2^64 holds a return address of 0 (its rva + 1 fits, the subtraction would not).
    if rva + 1 >= 8,
      let bytes = memory.bytes(at: returnAddress &- 8, count: 8)
        ?? code.codeBytes(rva: UInt32(rva + 1 - 8), count: 8), bytes.count == 8
    {
      return CallSite.endsWithCall(bytes, x64: x64)
    }
    return true
  }

  /// The caller found by scanning above `callee`, keeping the callee-saved registers.
  func scannedCaller(of callee: StackFrame, start: UInt64, x64: Bool) -> Step {
    let slots =
      callee.trust == .scan || callee.trust == .framePointer
      ? Self.scanSlots : Self.scanSlotsTrusted
    guard let (slot, value) = scan(from: start, slots: slots, x64: x64) else {
      return .end(
        "no return address found by scanning \(slots) slots above 0x\(String(start, radix: 16))")
    }
    var registers = callee.registers.calleeSaved(x64: x64)
    registers[RegisterSet.ip] = value
    registers[RegisterSet.sp] = slot &+ (x64 ? 8 : 4)
    return .frame(
      StackFrame(
        instruction: value, stackPointer: slot &+ (x64 ? 8 : 4), registers: registers, trust: .scan,
        module: nil))
  }

  /// Applies `STACK CFI` rules: `.cfa` from the callee's registers, then every other rule with
  /// `.cfa` known; the caller's stack pointer is the CFA and its instruction `.ra`.
  func cfiCaller(of callee: StackFrame, rules: [Substring: Substring], x64: Bool) -> Step? {
    var variables: [Substring: UInt64] = [:]
    let names = x64 ? UnwindNames.x64 : UnwindNames.x86
    for (register, value) in callee.registers.knownRegisters where register < names.count {
      variables[names[register]] = value
    }
    if let ip = callee.registers[RegisterSet.ip] { variables[x64 ? "$rip" : "$eip"] = ip }
    guard let cfaRule = rules[".cfa"], let raRule = rules[".ra"] else { return nil }
    var evaluator = PostfixEvaluator(variables: variables, x64: x64, memory: memory)
    guard let cfa = try? evaluator.value(of: cfaRule) else { return nil }
    evaluator.variables[".cfa"] = cfa
    guard let ra = try? evaluator.value(of: raRule) else { return nil }
    var registers = callee.registers.calleeSaved(x64: x64)
    for (name, rule) in rules where name != ".cfa" && name != ".ra" {
      guard let register = names.firstIndex(of: name) else { continue }
      registers[register] = try? evaluator.value(of: rule)
    }
    registers[RegisterSet.ip] = ra
    registers[RegisterSet.sp] = cfa
    return .frame(
      StackFrame(instruction: ra, stackPointer: cfa, registers: registers, trust: .cfi, module: nil)
    )
  }
}

/// Register names as Breakpad's `.sym` programs spell them, by register number.
enum UnwindNames {
  static let x64: [Substring] = [
    "$rax", "$rcx", "$rdx", "$rbx", "$rsp", "$rbp", "$rsi", "$rdi",
    "$r8", "$r9", "$r10", "$r11", "$r12", "$r13", "$r14", "$r15",
  ]
  static let x86: [Substring] = ["$eax", "$ecx", "$edx", "$ebx", "$esp", "$ebp", "$esi", "$edi"]
}
