/// What an x64 function's prologue does to the stack, read from its code bytes: for modules whose
/// image (and so `.pdata`) is missing but whose symbols give function starts and whose code pages
/// are in the dump — a triage dump keeps the faulting driver's code page. Only the instructions
/// compilers emit in prologues are understood (Microsoft "x64 prolog and epilog": register saves
/// to the home area, pushes, `sub rsp`, `__chkstk` allocations, frame-pointer setup, XMM saves);
/// decoding stops at the first other instruction.
struct X64Prologue: Equatable {
  /// Registers saved with MOV: where, as an offset from RSP at function entry.
  var saves: [(register: Int, entryOffset: Int64)] = []
  /// Registers pushed, in push order, each with its slot as an offset from the entry RSP.
  var pushes: [(register: Int, entryOffset: Int64)] = []
  /// Bytes below the entry RSP (pushes and allocations) once the decoded part has run.
  var depth: Int64 = 0
  /// Bytes of code decoded.
  var length = 0
  /// Number of instructions decoded.
  var instructions = 0

  static func == (lhs: X64Prologue, rhs: X64Prologue) -> Bool {
    lhs.depth == rhs.depth && lhs.length == rhs.length
      && lhs.saves.map(\.register) == rhs.saves.map(\.register)
      && lhs.pushes.map(\.register) == rhs.pushes.map(\.register)
  }

  /// Decodes the prologue in `code`, stopping before `limit` bytes (the instruction being executed
  /// when the thread is still inside the prologue).
  init(code: [UInt8], limit: Int) {
    func byte(_ index: Int) -> UInt8? { index < code.count ? code[index] : nil }
    func i32(_ index: Int) -> Int64? {
      guard index + 4 <= code.count else { return nil }
      let raw =
        UInt32(code[index]) | UInt32(code[index + 1]) << 8 | UInt32(code[index + 2]) << 16
        | UInt32(code[index + 3]) << 24
      return Int64(Int32(bitPattern: raw))
    }
    /// An [rsp+disp] operand at `at` (ModRM then SIB 0x24): its size and displacement.
    func rspOperand(_ at: Int) -> (size: Int, displacement: Int64, reg: Int)? {
      guard let modrm = byte(at), modrm & 7 == 4, byte(at + 1) == 0x24 else { return nil }
      let reg = Int((modrm >> 3) & 7)
      switch modrm >> 6 {
      case 0: return (2, 0, reg)
      case 1: return byte(at + 2).map { (3, Int64(Int8(bitPattern: $0)), reg) }
      case 2: return i32(at + 2).map { (6, $0, reg) }
      default: return nil
      }
    }
    var at = 0
    var pendingChkstk: Int64?
    while instructions < 32, at < limit {
      var size = 0
      let rex = byte(at).map { $0 & 0xF0 == 0x40 ? $0 : 0 } ?? 0
      let op = rex != 0 ? at + 1 : at
      guard let opcode = byte(op) else { break }
      if opcode & 0xF8 == 0x50 {
        // push r64 (REX.B selects r8–r15; a bare REX 0x40 is the hot-patchable form)
        depth += 8
        pushes.append((Int(opcode & 7) + (rex & 1 != 0 ? 8 : 0), -depth))
        size = op - at + 1
      } else if rex & 0x08 != 0, opcode == 0x89, let operand = rspOperand(op + 1) {
        // mov [rsp+disp], r64
        let register = operand.reg + (rex & 4 != 0 ? 8 : 0)
        saves.append((register, operand.displacement - depth))
        size = op - at + 1 + operand.size
      } else if rex & 0x08 != 0, opcode == 0x83, byte(op + 1) == 0xEC, let imm = byte(op + 2) {
        depth += Int64(imm)
        size = op - at + 3
      } else if rex & 0x08 != 0, opcode == 0x81, byte(op + 1) == 0xEC, let imm = i32(op + 2) {
        depth += imm
        size = op - at + 6
      } else if rex == 0, opcode == 0xB8, let imm = i32(op + 1) {
        // mov eax, size ; call __chkstk ; sub rsp, rax (writing EAX zero-extends it into RAX)
        pendingChkstk = Int64(UInt32(truncatingIfNeeded: imm))
        size = 5
      } else if rex == 0, opcode == 0xE8, pendingChkstk != nil {
        size = 5
      } else if rex & 0x08 != 0, opcode == 0x2B, byte(op + 1) == 0xE0, let amount = pendingChkstk {
        depth += amount
        pendingChkstk = nil
        size = op - at + 2
      } else if rex & 0x08 != 0, opcode == 0x8B, byte(op + 1) == 0xEC {
        size = op - at + 2  // mov rbp, rsp
      } else if rex & 0x08 != 0, opcode == 0x8D, let operand = rspOperand(op + 1), operand.reg == 5
      {
        size = op - at + 1 + operand.size  // lea rbp, [rsp+disp]
      } else if opcode == 0x0F, byte(op + 1) == 0x29, let operand = rspOperand(op + 2) {
        size = op - at + 2 + operand.size  // movaps [rsp+disp], xmm
      } else {
        break
      }
      guard at + size <= limit else { break }
      at += size
      instructions += 1
    }
    length = at
  }

  /// The caller's registers for a thread inside this function past the decoded part, or nil when
  /// the stack cannot be read.
  func unwind(_ registers: RegisterSet, memory: any StackMemory) -> RegisterSet? {
    guard let rsp = registers[RegisterSet.sp] else { return nil }
    // `sub rsp, imm32` sign-extends: hostile code can move RSP up, and the depth goes negative.
    let entry = rsp &+ UInt64(bitPattern: depth)
    var regs = registers
    for (register, offset) in pushes {
      guard let value = memory.u64(at: entry &+ UInt64(bitPattern: offset)) else { return nil }
      regs[register] = value
    }
    for (register, offset) in saves {
      guard let value = memory.u64(at: entry &+ UInt64(bitPattern: offset)) else { return nil }
      regs[register] = value
    }
    guard let ip = memory.u64(at: entry) else { return nil }
    regs[RegisterSet.ip] = ip
    regs[RegisterSet.sp] = entry &+ 8
    return regs
  }
}
