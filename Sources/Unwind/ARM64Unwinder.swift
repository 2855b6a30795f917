import PEImage

/// Virtual unwinding of one ARM64 frame from `.pdata`/`.xdata` (Microsoft "ARM64 exception
/// handling"): the unwind codes describe the prologue in reverse, one code per instruction, so
/// undoing them in list order restores the caller's SP, x19–x30; PC becomes the restored LR. Packed
/// entries describe a canonical prologue and are expanded to the same operations.
struct ARM64Unwinder {
  let memory: any StackMemory

  typealias Outcome = UnwindOutcome

  /// One decoded unwind operation, in unwind (list) order.
  enum Op: Equatable {
    case alloc(UInt64)
    /// Registers loaded from `[sp + offset]` (a pair loads two consecutive slots).
    case save([Int], offset: UInt64)
    /// Registers loaded from `[sp]`, then SP moves up by `size` (pre-indexed stores).
    case saveX([Int], size: UInt64)
    case setFP
    case addFP(UInt64)
    case machineFrame
    case nop
    case end
    /// save_next: the pair after the one saved by the previous code in prologue order.
    case saveNext
    /// A code this unwinder does not handle (trap frames, contexts, reserved).
    case unsupported(UInt8)
  }

  static let fp = RegisterSet.arm64X + 29
  static let lr = RegisterSet.arm64X + 30

  static func x(_ n: Int) -> Int { RegisterSet.arm64X + n }

  /// Decodes unwind code bytes; `nil` slots for the FP registers d8–d15 (not tracked).
  static func decode(_ bytes: [UInt8], from start: Int = 0) -> [Op] {
    var ops: [Op] = []
    var at = start
    func byte(_ index: Int) -> UInt64 { index < bytes.count ? UInt64(bytes[index]) : 0 }
    while at < bytes.count, ops.count < 1024 {
      let b = bytes[at]
      let next = byte(at + 1)
      switch b {
      case 0x00...0x1F:
        ops.append(.alloc(UInt64(b & 0x1F) * 16))
        at += 1
      case 0x20...0x3F:
        ops.append(.saveX([x(19), x(20)], size: UInt64(b & 0x1F) * 8))
        at += 1
      case 0x40...0x7F:
        ops.append(.save([fp, lr], offset: UInt64(b & 0x3F) * 8))
        at += 1
      case 0x80...0xBF:
        ops.append(.saveX([fp, lr], size: (UInt64(b & 0x3F) + 1) * 8))
        at += 1
      case 0xC0...0xC7:
        ops.append(.alloc(((UInt64(b & 7) << 8) | next) * 16))
        at += 2
      case 0xC8...0xCB, 0xCC...0xCF:
        let register = 19 + Int(((UInt64(b & 3) << 2) | (next >> 6)))
        let z = next & 0x3F
        ops.append(
          b < 0xCC
            ? .save([x(register), x(register + 1)], offset: z * 8)
            : .saveX([x(register), x(register + 1)], size: (z + 1) * 8))
        at += 2
      case 0xD0...0xD3:
        let register = 19 + Int(((UInt64(b & 3) << 2) | (next >> 6)))
        ops.append(.save([x(register)], offset: (next & 0x3F) * 8))
        at += 2
      case 0xD4, 0xD5:
        let register = 19 + Int(((UInt64(b & 1) << 3) | (next >> 5)))
        ops.append(.saveX([x(register)], size: ((next & 0x1F) + 1) * 8))
        at += 2
      case 0xD6, 0xD7:
        let register = 19 + 2 * Int(((UInt64(b & 1) << 2) | (next >> 6)))
        ops.append(.save([x(register), lr], offset: (next & 0x3F) * 8))
        at += 2
      case 0xD8, 0xD9:
        ops.append(.save([], offset: (next & 0x3F) * 8))  // save_fregp
        at += 2
      case 0xDA, 0xDB:
        ops.append(.saveX([], size: ((next & 0x3F) + 1) * 8))  // save_fregp_x
        at += 2
      case 0xDC, 0xDD:
        ops.append(.save([], offset: (next & 0x3F) * 8))  // save_freg
        at += 2
      case 0xDE:
        ops.append(.saveX([], size: ((next & 0x1F) + 1) * 8))  // save_freg_x
        at += 2
      case 0xE0:
        ops.append(.alloc(((next << 16) | (byte(at + 2) << 8) | byte(at + 3)) * 16))
        at += 4
      case 0xE1:
        ops.append(.setFP)
        at += 1
      case 0xE2:
        ops.append(.addFP(next * 8))
        at += 2
      case 0xE3, 0xFC:
        ops.append(.nop)  // nop, pac_sign_lr
        at += 1
      case 0xE4, 0xE5:
        ops.append(.end)
        return ops
      case 0xE6:
        ops.append(.saveNext)
        at += 1
      case 0xE9:
        ops.append(.machineFrame)
        at += 1
      default:
        ops.append(.unsupported(b))
        return ops
      }
    }
    return ops
  }

  /// Resolves `save_next` codes: each saves the register pair after the one the previous save
  /// (in prologue order, i.e. the following code in the list) saved, 16 bytes higher.
  static func resolveSaveNext(_ ops: [Op]) -> [Op] {
    var resolved = ops
    var previous: (registers: [Int], offset: UInt64)?
    for index in ops.indices.reversed() {
      switch ops[index] {
      case .saveX(let registers, _) where registers.count == 2:
        previous = (registers, 0)
      case .save(let registers, let offset) where registers.count == 2:
        previous = (registers, offset)
      case .saveNext:
        if let last = previous, let first = last.registers.first {
          let registers = [first + 2, first + 3]
          resolved[index] = .save(registers, offset: last.offset + 16)
          previous = (registers, last.offset + 16)
        }
      default:
        break
      }
    }
    return resolved
  }

  /// The operations of a packed entry, in unwind order (the canonical prologue of "Packed unwind
  /// data", undone from its last step back to its first).
  static func ops(_ packed: ARM64RuntimeFunction.Packed) -> [Op] {
    let regI = Int(packed.regI)
    let regF = Int(packed.regF)
    let intSize = UInt64(regI) * 8 + (packed.cr == 1 ? 8 : 0)
    let fpSize = regF > 0 ? UInt64(regF + 1) * 8 : 0
    let homeSize: UInt64 = packed.homed ? 64 : 0
    let saveSize = (intSize + fpSize + homeSize + 15) & ~15
    let local = UInt64(packed.frameSize) > saveSize ? UInt64(packed.frameSize) - saveSize : 0
    var prologue: [Op] = []
    // Integer registers (and LR with CR 1) at the bottom of the save area, the first store
    // allocating the whole save area.
    var integer: [Int] = (0..<regI).map { x(19 + $0) }
    if packed.cr == 1 { integer.append(lr) }
    var offset: UInt64 = 0
    var first = true
    var index = 0
    while index < integer.count {
      let registers = Array(integer[index..<min(index + 2, integer.count)])
      if first {
        prologue.append(.saveX(registers, size: saveSize))
        first = false
      } else {
        prologue.append(.save(registers, offset: offset))
      }
      offset += UInt64(registers.count) * 8
      index += 2
    }
    if fpSize > 0 {
      if first {
        prologue.append(.saveX([], size: saveSize))
        first = false
      }
    }
    if packed.homed, first {
      prologue.append(.alloc(saveSize))
      first = false
    }
    if first, saveSize > 0 { prologue.append(.alloc(saveSize)) }
    if packed.cr == 3 {
      // stp x29, lr, [sp, #-local]! ; mov x29, sp — or sub sp + stp + mov for large frames.
      if local <= 512 {
        prologue.append(.saveX([fp, lr], size: local))
      } else {
        prologue.append(.alloc(local))
        prologue.append(.save([fp, lr], offset: 0))
      }
      prologue.append(.setFP)
    } else if local > 0 {
      prologue.append(.alloc(local))
    }
    return prologue.reversed()
  }

  func unwind(
    _ registers: RegisterSet, rva: UInt32, function: ModuleCode.ARM64Function, code: ModuleCode,
    exact: Bool
  ) -> Outcome {
    var ops: [Op]
    let offset = rva - function.entry.begin
    if let packed = function.entry.packed {
      ops = Self.ops(packed)
    } else if let info = function.info {
      ops = Self.resolveSaveNext(Self.decode(info.codes))
      // Inside the prologue, only the codes of instructions already executed apply.
      if exact {
        let prologueLength = ops.prefix { $0 != .end }.count
        let executed = Int(offset / 4)
        if executed < prologueLength { ops = Array(ops.dropFirst(prologueLength - executed)) }
        for scope in info.epilogs where offset >= scope.start {
          let into = Int((offset - scope.start) / 4)
          let epilogue = Self.resolveSaveNext(Self.decode(info.codes, from: scope.codeIndex))
          if into < epilogue.prefix(while: { $0 != .end }).count {
            ops = Array(epilogue.dropFirst(into))
          }
        }
      }
    } else {
      return .noInfo
    }
    var regs = registers
    guard var sp = regs[RegisterSet.sp] else { return .failed("SP is unknown") }
    for op in ops {
      switch op {
      case .alloc(let size):
        sp &+= size
      case .save(let list, let offset):
        for (index, register) in list.enumerated() {
          let slot = sp &+ offset &+ UInt64(index * 8)
          guard let value = memory.u64(at: slot) else { return .failed(unreadable(slot)) }
          regs[register] = value
        }
      case .saveX(let list, let size):
        for (index, register) in list.enumerated() {
          let slot = sp &+ UInt64(index * 8)
          guard let value = memory.u64(at: slot) else { return .failed(unreadable(slot)) }
          regs[register] = value
        }
        sp &+= size
      case .setFP:
        guard let value = regs[Self.fp] else { return .failed("x29 is unknown") }
        sp = value
      case .addFP(let delta):
        guard let value = regs[Self.fp] else { return .failed("x29 is unknown") }
        sp = value &- delta
      case .machineFrame:
        // SP at +0, PC at +8 (Wine's reading of MSFT_OP_MACHINE_FRAME).
        guard let newSP = memory.u64(at: sp), let pc = memory.u64(at: sp &+ 8) else {
          return .failed(unreadable(sp))
        }
        regs[RegisterSet.sp] = newSP
        regs[RegisterSet.ip] = ARM64Walker.strip(pc)
        return .caller(regs, trap: true)
      case .nop, .saveNext:
        break
      case .end:
        break
      case .unsupported(let byte):
        return .failed("unwind code 0x\(String(byte, radix: 16)) is not supported")
      }
      if op == .end { break }
    }
    guard let lr = regs[Self.lr] else { return .failed("LR is unknown") }
    regs[RegisterSet.ip] = ARM64Walker.strip(lr)
    regs[RegisterSet.sp] = sp
    return .caller(regs, trap: false)
  }

  func unreadable(_ address: UInt64) -> String {
    "stack memory at 0x\(String(address, radix: 16)) is not in the dump"
  }
}
