import Testing

@testable import Unwind

/// Dump-derived numbers the walker used to convert or subtract with a trap: code bytes and module
/// ranges a real image never has, which a hostile or damaged dump can still carry.
@Suite("numeric traps: unwind")
struct UnwindNumericTrapTests {
  @Test("a prologue that moves RSP up (sub rsp, negative imm32) unwinds without a trap")
  func negativeAllocation() {
    // sub rsp, -0x10: the CPU sign-extends the immediate, so RSP grows by 16.
    let code: [UInt8] = [0x48, 0x81, 0xEC, 0xF0, 0xFF, 0xFF, 0xFF, 0xCC]
    let prologue = X64Prologue(code: code, limit: code.count)
    #expect(prologue.depth == -0x10)
    var memory = TestMemory()
    let rsp: UInt64 = 0x8000
    memory.put64(0xAAAA, at: rsp - 0x10)
    var registers = RegisterSet()
    registers[RegisterSet.sp] = rsp
    let caller = prologue.unwind(registers, memory: memory)
    #expect(caller?[RegisterSet.ip] == 0xAAAA && caller?[RegisterSet.sp] == rsp - 8)
  }

  @Test("__chkstk's size is EAX zero-extended: 0x80001000 is a large frame, not a negative one")
  func chkstkAboveTwoGiB() {
    // mov eax, 0x80001000 ; call __chkstk ; sub rsp, rax
    let code: [UInt8] = [0xB8, 0x00, 0x10, 0x00, 0x80, 0xE8, 1, 2, 3, 4, 0x48, 0x2B, 0xE0, 0xCC]
    let prologue = X64Prologue(code: code, limit: code.count)
    #expect(prologue.depth == 0x8000_1000)
  }

  @Test("a return address of 0 inside a module that wraps past 2^64 is checked without a trap")
  func returnAddressZeroInWrappingModule() {
    let module = UnwindModule(name: "wrap.sys", base: 0xFFFF_FFFF_FFFF_F000, size: 0x2000)
    let walker = StackWalker(memory: TestMemory(), modules: ModuleMap([module]) { _ in .none })
    // Address − 1 is 2^64 − 1, inside the module; nothing there can be read, so it is kept.
    #expect(walker.isCallSite(0, x64: true))
    #expect(walker.isCallSite(0, x64: false))
  }
}
