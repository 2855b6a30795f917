/// Finds the caller of the newest frame on ARM64: the function's unwind codes from `.pdata`/
/// `.xdata` (Microsoft "ARM64 exception handling"), else the frame-record chain Windows ARM64 code
/// always keeps (x29 points at the saved x29/x30 pair), else, for the context frame only, the link
/// register.
struct ARM64Walker {
  let walker: StackWalker

  static let fp = RegisterSet.arm64X + 29
  static let lr = RegisterSet.arm64X + 30

  func caller(of frames: [StackFrame]) -> StackWalker.Step {
    guard let callee = frames.last else { return .cut("no frame") }
    let exact = callee.trust == .context || callee.trust == .trap
    if let (index, module) = walker.modules.loadedModule(containing: callee.lookupAddress) {
      let code = walker.modules.code(index)
      let rva = UInt32(truncatingIfNeeded: callee.lookupAddress &- module.base)
      if let function = code.arm64Function(at: rva) {
        let unwinder = ARM64Unwinder(memory: walker.memory)
        switch unwinder.unwind(
          callee.registers, rva: rva, function: function, code: code, exact: exact)
        {
        case .caller(let registers, let trap):
          if let pc = registers[RegisterSet.ip], let sp = registers[RegisterSet.sp] {
            return .frame(
              StackFrame(
                instruction: pc, stackPointer: sp, registers: registers, trust: trap ? .trap : .cfi,
                module: nil))
          }
        case .failed(let reason):
          return .cut("\(module.name): \(reason)")
        case .noInfo:
          break
        }
      }
    }
    if let step = frameRecordCaller(of: callee) { return step }
    return .end("no frame record above 0x\(String(callee.stackPointer, radix: 16))")
  }

  /// The frame record chain: `[x29]` is the caller's x29, `[x29+8]` its return address; the
  /// caller's SP is just above the record (Windows ARM64 places the record at the frame's bottom
  /// after the locals, so this is a lower bound, which is all the next step needs).
  func frameRecordCaller(of callee: StackFrame) -> StackWalker.Step? {
    guard let fp = callee.registers[Self.fp], fp != 0, fp & 7 == 0,
      let savedFP = walker.memory.u64(at: fp), let lr = walker.memory.u64(at: fp &+ 8)
    else { return nil }
    if lr == 0 { return .end("the frame-record chain ends with a zero return address") }
    // Pointer authentication bits are not part of the address.
    let pc = Self.strip(lr)
    guard isCallSite(pc) else { return nil }
    var registers = callee.registers.arm64CalleeSaved()
    registers[Self.fp] = savedFP
    registers[RegisterSet.ip] = pc
    registers[RegisterSet.sp] = fp &+ 16
    return .frame(
      StackFrame(
        instruction: pc, stackPointer: fp &+ 16, registers: registers, trust: .framePointer,
        module: nil))
  }

  /// A return address is inside a loaded module and, where its code is captured, follows a BL or
  /// BLR (Arm ARM: BL `100101…`, BLR `1101011000111111000000…`, and the BLRAx forms).
  func isCallSite(_ returnAddress: UInt64) -> Bool {
    guard returnAddress & 3 == 0,
      let (index, module) = walker.modules.loadedModule(containing: returnAddress &- 4)
    else { return false }
    let rva = UInt32(truncatingIfNeeded: returnAddress &- 4 &- module.base)
    let code = walker.modules.code(index)
    if let bytes = walker.memory.bytes(at: returnAddress &- 4, count: 4)
      ?? code.codeBytes(rva: rva, count: 4),
      bytes.count == 4
    {
      let word =
        UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
      return word & 0xFC00_0000 == 0x9400_0000 || word & 0xFFFF_FC1F == 0xD63F_0000
        || word & 0xFEFF_F800 == 0xD63F_0800
    }
    return true
  }

  /// Kernel and user addresses without PAC signature bits (the top byte of kernel pointers is
  /// all ones, of user pointers all zeros).
  static func strip(_ address: UInt64) -> UInt64 {
    address >> 55 & 1 == 1 ? address | 0xFFFF_0000_0000_0000 : address & 0x0000_FFFF_FFFF_FFFF
  }
}
