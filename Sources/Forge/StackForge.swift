import PEImage
import Unwind

/// Lays out a crashing thread's kernel stack the way the code would have built it: each function's
/// prologue runs as its unwind info says (pushes of the caller's register values, allocations,
/// MOV saves, frame-pointer setup), each call pushes the return address after the real call
/// instruction in the caller's code, and a fault enters KiPageFault through a hardware machine
/// frame with a KTRAP_FRAME below it. So a correct unwinder recovers the chain exactly.
struct StackForge {
  /// KTHREAD.InitialStack of the sample kernel thread: the stack grows down from here.
  static let kernelStack: (top: UInt64, size: UInt64) = (0xFFFF_8504_2989_3000, 0x6000)
  /// A user thread's stack (room for a stack overflow's deep recursion).
  static let userStack: (top: UInt64, size: UInt64) = (0x0000_00C1_2340_0000, 0x40000)

  struct Entry: Sendable {
    var image: ForgeImage
    var function: String
    var rva: UInt32
    var offset: UInt32?
  }

  struct Layout: Sendable {
    /// 8-byte stack slots written.
    var slots: [UInt64: UInt64]
    var registers: [Int: UInt64]
    var rip: UInt64
    var rsp: UInt64
    /// The stack region: `limit` (lowest address) to `top`.
    var top: UInt64
    var limit: UInt64
    /// Innermost first.
    var frames: [ForgeTruth.Frame]
    var faultIP: UInt64?
    /// The KTRAP_FRAME of the interrupted frame: 0x168 below the machine frame's RIP slot.
    var trapFrame: UInt64?
    /// The registers at the fault (RSP is the interrupted frame's), as a CONTEXT record holds them.
    var faultRegisters: [Int: UInt64]?
    /// Each entry's stack pointer once its prologue has run, outermost first (the scenario's
    /// order).
    var stackPointers: [UInt64]
  }

  private var slots: [UInt64: UInt64] = [:]
  private var registers: [Int: UInt64] = [:]
  private var random: SplitMix
  let top: UInt64
  let limit: UInt64

  init(seed: UInt64, stack: (top: UInt64, size: UInt64) = StackForge.kernelStack) {
    random = SplitMix(seed: seed)
    top = stack.top
    limit = stack.top - stack.size
    for register in 0..<16 where register != 4 { registers[register] = next() }
  }

  /// Reproducible register values.
  private mutating func next() -> UInt64 { random.next() }

  private mutating func push(_ value: UInt64, _ rsp: inout UInt64) {
    rsp &-= 8
    slots[rsp] = value
  }

  mutating func layout(_ entries: [Entry]) throws(ForgeError) -> Layout {
    guard !entries.isEmpty else { throw ForgeError("the stack has no frames") }
    var rsp = top - 0x30
    push(0, &rsp)  // The thread's first frame returns nowhere.
    var outerFirst: [ForgeTruth.Frame] = []
    var rip: UInt64 = 0
    var faultIP: UInt64?
    var trapFrame: UInt64?
    var faultRegisters: [Int: UInt64]?
    var stackPointers: [UInt64] = []
    var enteredByTrap = false
    for (index, entry) in entries.enumerated() {
      let image = entry.image
      let chain = try unwindChain(entry)
      let prologSize = UInt32(chain.first?.prologSize ?? 0)
      try runPrologue(chain, entry: entry, rsp: &rsp, enteredByTrap: enteredByTrap)
      let frameRSP = rsp
      stackPointers.append(frameRSP)
      let start = image.base + UInt64(entry.rva)
      let trust: String
      let ip: UInt64
      if index == entries.count - 1 {
        ip = start + UInt64(entry.offset ?? prologSize)
        trust = "context"
        enteredByTrap = false
      } else {
        let callee = entries[index + 1]
        let calleeChain = try unwindChain(callee)
        let trapped = calleeChain.last?.codes.last?.operation == UnwindInfo.pushMachineFrame
        if trapped {
          guard let offset = entry.offset else {
            throw ForgeError(
              "\(image.name)!\(entry.function) is interrupted by \(callee.function): give the faulting instruction as +0xOFFSET"
            )
          }
          ip = start + UInt64(offset)
          trust = "trap"
          faultIP = ip
          var state = registers
          state[4] = frameRSP
          faultRegisters = state
          trapFrame = machineFrame(
            ip: ip, rsp: &rsp, errorCode: calleeChain.last?.codes.last?.info == 1)
          enteredByTrap = true
        } else {
          ip = try returnAddress(in: entry, prologSize: prologSize, calling: callee)
          trust = "cfi"
          push(ip, &rsp)
          enteredByTrap = false
        }
      }
      rip = ip
      var trapRegisters: [String: String]?
      if trust == "trap" {
        trapRegisters = [:]
        for (name, register) in Self.trapFrameRegisters {
          trapRegisters?[name] = Self.hex(registers[register] ?? 0)
        }
      }
      outerFirst.append(
        ForgeTruth.Frame(
          module: image.name, function: entry.function,
          offset: Self.hex(ip - start), instruction: Self.hex(ip), stackPointer: Self.hex(frameRSP),
          trust: trust, registers: trapRegisters))
      if index == entries.count - 1 { rsp = frameRSP }
    }
    return Layout(
      slots: slots, registers: registers, rip: rip, rsp: rsp, top: top, limit: limit,
      frames: outerFirst.reversed(), faultIP: faultIP, trapFrame: trapFrame,
      faultRegisters: faultRegisters, stackPointers: stackPointers)
  }

  private func unwindChain(_ entry: Entry) throws(ForgeError) -> [UnwindInfo] {
    guard let function = entry.image.runtimeFunction(at: entry.rva) else { return [] }
    guard function.begin == entry.rva else {
      throw ForgeError("\(entry.function) does not start a .pdata entry in \(entry.image.name)")
    }
    do {
      return try entry.image.image.unwindChain(function)
    } catch {
      throw ForgeError("\(entry.image.name)!\(entry.function): \(error)")
    }
  }

  /// Runs a prologue in execution order (the outermost chained info first, each info's codes in
  /// reverse), then lets the body clobber the registers it saved, so that callees save values
  /// different from the caller's.
  private mutating func runPrologue(
    _ chain: [UnwindInfo], entry: Entry, rsp: inout UInt64, enteredByTrap: Bool
  ) throws(ForgeError) {
    var saved: [Int] = []
    var saves: [(Int, UInt64)] = []
    var frameRegister: (Int, UInt64)?
    for info in chain.reversed() {
      for code in info.codes.reversed() {
        switch code.operation {
        case UnwindInfo.pushNonVolatile:
          push(registers[Int(code.info)] ?? 0, &rsp)
          saved.append(Int(code.info))
        case UnwindInfo.allocLarge, UnwindInfo.allocSmall:
          rsp &-= UInt64(code.operand ?? 0)
        case UnwindInfo.setFramePointer:
          let value = rsp &+ 16 &* UInt64(info.frameOffset)
          registers[Int(info.frameRegister)] = value
          frameRegister = (Int(info.frameRegister), UInt64(info.frameOffset))
        case UnwindInfo.saveNonVolatile, UnwindInfo.saveNonVolatileFar:
          saves.append((Int(code.info), UInt64(code.operand ?? 0)))
        case UnwindInfo.pushMachineFrame:
          guard enteredByTrap else {
            throw ForgeError("\(entry.function) expects a machine frame but is called normally")
          }
        default:
          break
        }
      }
    }
    // MOV saves address the frame after the prologue, or the frame register's base.
    let base = frameRegister.map { (registers[$0.0] ?? 0) &- 16 &* $0.1 } ?? rsp
    for (register, offset) in saves {
      slots[base &+ offset] = registers[register] ?? 0
      saved.append(register)
    }
    for register in saved where register != frameRegister?.0 && register != 4 {
      registers[register] = next()
    }
  }

  /// The CPU's entry into a trap handler: align RSP, push SS, RSP, RFLAGS, CS, RIP and the error
  /// code; the handler's KTRAP_FRAME (0x190 bytes, reference: KTRAP_FRAME x64 layout) ends with
  /// that machine frame, and holds the volatile registers at 0x30–0x60 and RBP at 0x158. Returns
  /// the KTRAP_FRAME's address.
  private mutating func machineFrame(ip: UInt64, rsp: inout UInt64, errorCode: Bool) -> UInt64 {
    let interrupted = rsp
    rsp &= ~0xF
    push(0x18, &rsp)  // SS
    push(interrupted, &rsp)
    push(0x10282, &rsp)  // RFLAGS
    push(0x10, &rsp)  // CS
    push(ip, &rsp)
    if errorCode { push(0x2, &rsp) }  // a write fault on a not-present page
    let trapFrame = rsp &- (errorCode ? 0x160 : 0x168)
    for (slot, register) in [
      (0x30, 0), (0x38, 1), (0x40, 2), (0x48, 8), (0x50, 9), (0x58, 10), (0x60, 11),
    ] {
      slots[trapFrame + UInt64(slot)] = registers[register] ?? 0
    }
    return trapFrame
  }

  /// The address after the instruction in `caller` that calls `callee`: a direct `call rel32` to
  /// it, else the first indirect call (through a pointer or an import).
  private func returnAddress(in caller: Entry, prologSize: UInt32, calling callee: Entry)
    throws(ForgeError) -> UInt64
  {
    let image = caller.image
    let end = image.end(of: caller.rva)
    let length = Int(end - caller.rva)
    let code = try image.code(rva: caller.rva, count: length)
    let calleeAddress = callee.image.base + UInt64(callee.rva)
    var position = Int(prologSize)
    while position + 5 <= code.count {
      if code[position] == 0xE8 {
        let raw =
          UInt32(code[position + 1]) | UInt32(code[position + 2]) << 8
          | UInt32(code[position + 3]) << 16 | UInt32(code[position + 4]) << 24
        let target =
          image.base &+ UInt64(caller.rva) &+ UInt64(position + 5)
          &+ UInt64(bitPattern: Int64(Int32(bitPattern: raw)))
        if target == calleeAddress {
          return image.base + UInt64(caller.rva) + UInt64(position + 5)
        }
      }
      position += 1
    }
    position = Int(prologSize)
    while position + 2 <= code.count {
      if code[position] == 0xFF, let length = CallSite.indirectLength(code, modrmAt: position + 1) {
        return image.base + UInt64(caller.rva) + UInt64(position + length)
      }
      position += 1
    }
    throw ForgeError(
      "\(image.name)!\(caller.function) has no call to \(callee.image.name)!\(callee.function)")
  }

  static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

  /// The registers a KTRAP_FRAME saves that a walker can show, by x64 register number.
  static let trapFrameRegisters = [
    ("rax", 0), ("rcx", 1), ("rdx", 2), ("r8", 8), ("r9", 9), ("r10", 10), ("r11", 11), ("rbp", 5),
  ]
}
