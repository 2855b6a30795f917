import PEImage

/// Virtual unwinding of one x64 frame from the image's `.pdata`/UNWIND_INFO, as Windows'
/// `RtlVirtualUnwind` does (Microsoft "x64 exception handling"): undo the prologue operations that
/// have run, in reverse, then pop the return address — or, in an epilogue, run the rest of the
/// epilogue forward.
struct X64Unwinder {
  let memory: any StackMemory

  typealias Outcome = UnwindOutcome

  /// Unwinds `registers` whose instruction is at `rva` of `code`'s module.
  /// - Parameter exact: the instruction is exactly where the thread stopped (frame 0 or a trap),
  ///   so it may be inside a prologue or an epilogue; callers' frames are at call sites.
  func unwind(_ registers: RegisterSet, rva: UInt32, code: ModuleCode, exact: Bool) -> Outcome {
    guard let image = code.image, let function = code.runtimeFunction(at: rva) else {
      return .noInfo
    }
    let chain: [UnwindInfo]
    do {
      chain = try image.unwindChain(function)
    } catch {
      return .failed(
        "unwind info at RVA 0x\(String(function.begin, radix: 16)): \(error.description)")
    }
    guard let primary = chain.first else { return .noInfo }
    if exact, let ip = registers[RegisterSet.ip] {
      let bytes = memory.bytes(at: ip, count: 32) ?? code.codeBytes(rva: rva, count: 32)
      if let bytes, let result = epilogue(registers, code: bytes) { return result }
    }
    var regs = registers
    guard var rsp = regs[RegisterSet.sp] else { return .failed("RSP is unknown") }
    let offset = rva - function.begin
    // MOV saves address the frame as it was after the prologue: RSP, or the frame register minus
    // its offset once the prologue has set it.
    var frame = rsp
    if primary.frameRegister != 0 {
      let established = primary.codes.contains {
        $0.operation == UnwindInfo.setFramePointer && Int($0.codeOffset) <= Int(offset)
      }
      if established || offset >= primary.prologSize {
        guard let value = regs[Int(primary.frameRegister)] else {
          return .failed("frame register \(primary.frameRegister) is unknown")
        }
        frame = value &- 16 &* UInt64(primary.frameOffset)
      }
    }
    for (depth, info) in chain.enumerated() {
      for code in info.codes {
        // In the primary function's prologue, codes whose instruction has not run yet are skipped.
        if depth == 0, offset < info.prologSize, Int(code.codeOffset) > Int(offset) { continue }
        switch code.operation {
        case UnwindInfo.pushNonVolatile:
          guard let value = memory.u64(at: rsp) else { return .failed(unreadable(rsp)) }
          regs[Int(code.info)] = value
          rsp &+= 8
        case UnwindInfo.allocLarge, UnwindInfo.allocSmall:
          rsp &+= UInt64(code.operand ?? 0)
        case UnwindInfo.setFramePointer:
          guard let value = regs[Int(info.frameRegister)] else {
            return .failed("frame register \(info.frameRegister) is unknown")
          }
          rsp = value &- 16 &* UInt64(info.frameOffset)
        case UnwindInfo.saveNonVolatile, UnwindInfo.saveNonVolatileFar:
          let slot = frame &+ UInt64(code.operand ?? 0)
          guard let value = memory.u64(at: slot) else { return .failed(unreadable(slot)) }
          regs[Int(code.info)] = value
        case UnwindInfo.pushMachineFrame:
          // The CPU pushed SS, RSP, EFLAGS, CS, RIP (and an error code first when info is 1).
          let base = rsp &+ (code.info == 0 ? 0 : 8)
          guard let ip = memory.u64(at: base) else { return .failed(unreadable(base)) }
          guard let sp = memory.u64(at: base &+ 24) else { return .failed(unreadable(base &+ 24)) }
          regs[RegisterSet.ip] = ip
          regs[RegisterSet.sp] = sp
          if code.info == 1 { readTrapFrame(errorCodeAt: rsp, into: &regs) }
          return .caller(regs, trap: true)
        default:
          break
        }
      }
    }
    guard let ip = memory.u64(at: rsp) else { return .failed(unreadable(rsp)) }
    regs[RegisterSet.ip] = ip
    regs[RegisterSet.sp] = rsp &+ 8
    return .caller(regs, trap: false)
  }

  /// A leaf function (no `.pdata`): it has not moved RSP, so the return address is on top.
  func leaf(_ registers: RegisterSet) -> Outcome {
    var regs = registers
    guard let rsp = regs[RegisterSet.sp] else { return .failed("RSP is unknown") }
    guard let ip = memory.u64(at: rsp) else { return .failed(unreadable(rsp)) }
    regs[RegisterSet.ip] = ip
    regs[RegisterSet.sp] = rsp &+ 8
    return .caller(regs, trap: false)
  }

  /// When `code` (the bytes at the instruction) is an epilogue, runs it to the return. Epilogues
  /// have one form (Microsoft "x64 prolog and epilog"): an optional `add rsp, imm` or
  /// `lea rsp, [reg+disp]`, then `pop` of non-volatile registers, then `ret` or a tail `jmp`.
  func epilogue(_ registers: RegisterSet, code: [UInt8]) -> Outcome? {
    var regs = registers
    guard var rsp = regs[RegisterSet.sp] else { return nil }
    var at = 0
    func byte(_ index: Int) -> UInt8? { index < code.count ? code[index] : nil }
    func i32(_ index: Int) -> UInt32? {
      guard index + 4 <= code.count else { return nil }
      return UInt32(code[index]) | UInt32(code[index + 1]) << 8 | UInt32(code[index + 2]) << 16
        | UInt32(code[index + 3]) << 24
    }
    // add rsp, imm8 / imm32
    if byte(0) == 0x48, byte(1) == 0x83, byte(2) == 0xC4, let imm = byte(3) {
      rsp &+= UInt64(imm)
      at = 4
    } else if byte(0) == 0x48, byte(1) == 0x81, byte(2) == 0xC4, let imm = i32(3) {
      rsp &+= UInt64(imm)
      at = 7
    } else if let rex = byte(0), rex & 0xFE == 0x48, byte(1) == 0x8D, let modrm = byte(2),
      (modrm >> 3) & 7 == 4, modrm & 7 != 4
    {
      // lea rsp, [reg + disp8/disp32]
      let register = Int(modrm & 7) + (rex & 1 == 1 ? 8 : 0)
      guard let base = regs[register] else { return nil }
      switch modrm >> 6 {
      case 1:
        guard let disp = byte(3) else { return nil }
        rsp = base &+ UInt64(bitPattern: Int64(Int8(bitPattern: disp)))
        at = 4
      case 2:
        guard let disp = i32(3) else { return nil }
        rsp = base &+ UInt64(bitPattern: Int64(Int32(bitPattern: disp)))
        at = 7
      default:
        return nil
      }
    }
    var pops: [Int] = []
    while pops.count < 16 {
      if let op = byte(at), op & 0xF8 == 0x58 {
        pops.append(Int(op & 7))
        at += 1
      } else if byte(at) == 0x41, let op = byte(at + 1), op & 0xF8 == 0x58 {
        pops.append(Int(op & 7) + 8)
        at += 2
      } else {
        break
      }
    }
    // ret, ret imm16, rep ret, or a tail jmp rel8/rel32 or indirect through memory.
    let ends =
      byte(at) == 0xC3 || byte(at) == 0xC2 || (byte(at) == 0xF3 && byte(at + 1) == 0xC3)
      || byte(at) == 0xE9 || byte(at) == 0xEB || (byte(at) == 0xFF && byte(at + 1) == 0x25)
      || (byte(at) == 0x48 && byte(at + 1) == 0xFF && byte(at + 2) == 0x25)
    guard ends, at > 0 || byte(at) == 0xC3 || byte(at) == 0xC2 || byte(at) == 0xF3 else {
      return nil
    }
    for register in pops {
      guard let value = memory.u64(at: rsp) else { return .failed(unreadable(rsp)) }
      regs[register] = value
      rsp &+= 8
    }
    guard let ip = memory.u64(at: rsp) else { return .failed(unreadable(rsp)) }
    regs[RegisterSet.ip] = ip
    regs[RegisterSet.sp] = rsp &+ 8
    return .caller(regs, trap: false)
  }

  /// A kernel trap handler entered with an error code (KiPageFault and friends) builds a
  /// KTRAP_FRAME that ends with the machine frame: the error code at 0x160, RBP at 0x158, the
  /// volatile registers at 0x30–0x60 (x64 KTRAP_FRAME layout, 0x190 bytes). Those values are the
  /// interrupted code's, which `.trap` shows; absent memory leaves them unknown.
  func readTrapFrame(errorCodeAt errorCode: UInt64, into registers: inout RegisterSet) {
    let base = errorCode &- 0x160
    for (offset, register) in [
      (0x30, 0), (0x38, 1), (0x40, 2), (0x48, 8), (0x50, 9), (0x58, 10), (0x60, 11), (0x158, 5),
    ] {
      if let value = memory.u64(at: base &+ UInt64(offset)) { registers[register] = value }
    }
  }

  func unreadable(_ address: UInt64) -> String {
    "stack memory at 0x\(String(address, radix: 16)) is not in the dump"
  }
}
