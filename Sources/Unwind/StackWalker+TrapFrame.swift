extension StackWalker {
  /// WinDbg's `.trap ADDR` followed by `k`: the walk from the registers a KTRAP_FRAME saved, the
  /// frame 0 being the trapped instruction. Nil when the trap frame's instruction and stack
  /// pointer are not in the dump.
  ///
  /// x64 KTRAP_FRAME (0x190 bytes; ntddk.h / WinDbg `dt nt!_KTRAP_FRAME`): Rax 0x30, Rcx 0x38,
  /// Rdx 0x40, R8–R11 0x48–0x60, Rbx 0x140, Rdi 0x148, Rsi 0x150, Rbp 0x158, ErrorCode 0x160,
  /// Rip 0x168, SegCs 0x170, EFlags 0x178, Rsp 0x180. Rbx/Rdi/Rsi are saved by exception traps
  /// only; they are left unknown rather than trusted.
  /// x86 KTRAP_FRAME (0x8C bytes): Edx 0x3C, Ecx 0x40, Eax 0x44, Edi 0x54, Esi 0x58, Ebx 0x5C,
  /// Ebp 0x60, Eip 0x68, SegCs 0x6C, HardwareEsp 0x74. A trap from kernel mode pushes no stack
  /// pointer: the interrupted ESP is the address where HardwareEsp would be.
  public func walk(trapFrame address: UInt64, architecture: Architecture) -> StackWalk? {
    var registers = RegisterSet()
    let ip: UInt64
    let sp: UInt64
    switch architecture {
    case .x64:
      guard let rip = memory.u64(at: address &+ 0x168), let rsp = memory.u64(at: address &+ 0x180)
      else { return nil }
      (ip, sp) = (rip, rsp)
      for (offset, register) in [
        (0x30, 0), (0x38, 1), (0x40, 2), (0x48, 8), (0x50, 9), (0x58, 10), (0x60, 11), (0x158, 5),
      ] {
        if let value = memory.u64(at: address &+ UInt64(offset)) { registers[register] = value }
      }
    case .x86:
      guard let eip = memory.u32(at: address &+ 0x68), let cs = memory.u32(at: address &+ 0x6C)
      else { return nil }
      let fromUser = cs & 1 != 0
      guard
        let esp = fromUser
          ? memory.u32(at: address &+ 0x74) : UInt32(truncatingIfNeeded: address &+ 0x74)
      else { return nil }
      (ip, sp) = (UInt64(eip), UInt64(esp))
      for (offset, register) in [
        (0x44, 0), (0x40, 1), (0x3C, 2), (0x5C, 3), (0x60, 5), (0x58, 6), (0x54, 7),
      ] {
        if let value = memory.u32(at: address &+ UInt64(offset)) {
          registers[register] = UInt64(value)
        }
      }
    case .arm64:
      return nil
    }
    registers[RegisterSet.ip] = ip
    registers[RegisterSet.sp] = sp
    let first = StackFrame(
      instruction: ip, stackPointer: sp, registers: registers, trust: .context,
      module: modules.index(containing: ip))
    return walk(from: first, architecture: architecture)
  }
}
