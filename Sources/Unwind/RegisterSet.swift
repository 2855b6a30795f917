import CPUContexts

/// The integer registers of one frame, each known or not. Numbered as the hardware encodes them
/// (x64 UNWIND_CODE numbering: 0 RAX, 1 RCX, 2 RDX, 3 RBX, 4 RSP, 5 RBP, 6 RSI, 7 RDI, 8–15
/// R8–R15; x86 uses 0–7 for EAX…EDI the same way), with the instruction pointer at `ip`.
public struct RegisterSet: Sendable, Equatable {
  public static let sp = 4
  public static let fp = 5
  public static let ip = 16
  /// ARM64 x0–x30 live at `arm64X + n` (the shared `sp` and `ip` slots hold SP and PC).
  public static let arm64X = 17
  static let count = 48

  private var values = [UInt64](repeating: 0, count: RegisterSet.count)
  private var known: UInt64 = 0

  public init() {}

  public subscript(_ register: Int) -> UInt64? {
    get {
      guard register >= 0, register < Self.count, known & (1 << register) != 0 else { return nil }
      return values[register]
    }
    set {
      guard register >= 0, register < Self.count else { return }
      if let newValue {
        values[register] = newValue
        known |= 1 << register
      } else {
        known &= ~(1 << register)
      }
    }
  }

  /// The registers a callee must preserve, carried into a caller frame the walker could not
  /// restore them for (x64 Windows ABI: RBX, RBP, RDI, RSI, R12–R15; x86: EBX, EBP, ESI, EDI).
  public func calleeSaved(x64: Bool) -> RegisterSet {
    var kept = RegisterSet()
    let registers = x64 ? [3, 5, 6, 7, 12, 13, 14, 15] : [3, 5, 6, 7]
    for register in registers { kept[register] = self[register] }
    return kept
  }

  /// ARM64's callee-saved x19–x29 (Microsoft ARM64 ABI), for a caller the walker could not restore
  /// them for.
  public func arm64CalleeSaved() -> RegisterSet {
    var kept = RegisterSet()
    let registers = (19...29).map { Self.arm64X + $0 }
    for register in registers { kept[register] = self[register] }
    return kept
  }

  /// Every known register, by number.
  public var knownRegisters: [(Int, UInt64)] {
    (0..<Self.count).compactMap { register in self[register].map { (register, $0) } }
  }

  /// The registers of a thread context. ARM64 keeps x0–x30 apart; use `arm64(_:)` for those.
  public init(_ context: CPUContext) {
    switch context {
    case .amd64(let c):
      if c.has(ContextAMD64.integer) {
        for (index, value) in [
          c.rax, c.rcx, c.rdx, c.rbx, c.rsp, c.rbp, c.rsi, c.rdi,
          c.r8, c.r9, c.r10, c.r11, c.r12, c.r13, c.r14, c.r15,
        ].enumerated() {
          self[index] = value
        }
      }
      if c.has(ContextAMD64.control) {
        self[Self.sp] = c.rsp
        self[Self.ip] = c.rip
      }
    case .x86(let c):
      if c.has(ContextX86.integer) {
        for (index, value) in [c.eax, c.ecx, c.edx, c.ebx].enumerated() {
          self[index] = UInt64(value)
        }
        self[6] = UInt64(c.esi)
        self[7] = UInt64(c.edi)
      }
      if c.has(ContextX86.control) {
        self[Self.sp] = UInt64(c.esp)
        self[Self.fp] = UInt64(c.ebp)
        self[Self.ip] = UInt64(c.eip)
      }
    case .arm64(let c):
      if c.has(ContextARM64.integer) {
        for (index, value) in c.x.prefix(31).enumerated() { self[Self.arm64X + index] = value }
      }
      if c.has(ContextARM64.control) {
        self[Self.sp] = c.sp
        self[Self.ip] = c.pc
        self[Self.arm64X + 29] = c.fp
        self[Self.arm64X + 30] = c.lr
      }
    }
  }

  /// Register names for display, by architecture.
  public static func name(_ register: Int, x64: Bool) -> String {
    if register >= arm64X {
      return register - arm64X == 29
        ? "fp" : register - arm64X == 30 ? "lr" : "x\(register - arm64X)"
    }
    if register == ip { return x64 ? "rip" : "eip" }
    let x64Names = [
      "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
      "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
    ]
    let x86Names = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"]
    let names = x64 ? x64Names : x86Names
    return register < names.count ? names[register] : "r\(register)"
  }
}
