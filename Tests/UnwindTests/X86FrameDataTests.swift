import CrashsiftTestSupport
import Foundation
import Symbols
import Testing

@testable import Unwind

/// x86 frame data as MSVC writes it, from a real `.sym` (getsentry/symbolic's `crash.sym`, produced
/// from a real MSVC PDB): its `STACK WIN` programs run over stacks laid out for them. The records
/// are real; the stacks are ours.
@Suite("x86 STACK WIN programs from a real .sym", .requires(.corpus))
struct X86FrameDataTests {
  static let base: UInt64 = 0x40_0000
  static let returnAddress: UInt32 = 0x40_3005

  static func walker(_ memory: TestMemory) throws -> StackWalker {
    let root = try Requirement.corpus.resolve()
    let text = try String(
      contentsOfFile: "\(root)/pdb/getsentry-symbolic/crash.sym", encoding: .utf8)
    let symbols = try BreakpadSymbolReader.read(text: text)
    let module = UnwindModule(name: "crash.exe", base: base, size: 0x10_0000)
    return StackWalker(
      memory: memory, modules: ModuleMap([module]) { _ in ModuleCode(image: nil, symbols: symbols) }
    )
  }

  static func first(eip: UInt64, esp: UInt64, ebp: UInt64) -> StackFrame {
    var registers = RegisterSet()
    registers[RegisterSet.ip] = eip
    registers[RegisterSet.sp] = esp
    registers[RegisterSet.fp] = ebp
    return StackFrame(
      instruction: eip, stackPointer: esp, registers: registers, trust: .context, module: 0)
  }

  @Test("the assignment glued to the next variable (`+ =$eip`) is evaluated as breakpad does")
  func gluedAssignment() throws {
    // STACK WIN 4 2910 15e … 1 $T0 $ebp 204 + =$eip $T0 4 + ^ =$ebp $T0 ^ = $esp $T0 8 + =
    let ebp: UInt64 = 0x10_1000
    let t0 = ebp + 204
    var memory = TestMemory()
    memory.put32(0x10_2000, at: t0)  // the caller's EBP
    memory.put32(Self.returnAddress, at: t0 + 4)
    let walk = try Self.walker(memory).walk(
      from: Self.first(eip: Self.base + 0x2920, esp: 0x10_0000, ebp: ebp), x64: false)
    #expect(walk.frames.count >= 2)
    let caller = try #require(walk.frames.dropFirst().first)
    #expect(caller.instruction == UInt64(Self.returnAddress))
    #expect(caller.trust == .cfi)
    #expect(caller.stackPointer == t0 + 8)
    #expect(caller.registers[RegisterSet.fp] == 0x10_2000)
  }

  @Test("`.raSearch`: the return address is found where the frame data says, past non-code words")
  func raSearch() throws {
    // STACK WIN 4 1000 114 11 0 8 0 0 0 1 $T0 .raSearch = $eip $T0 ^ = $esp $T0 4 + =
    let esp: UInt64 = 0x20_0000
    var memory = TestMemory()
    memory.put32(0x1234, at: esp)  // not code: skipped by the search for the return address
    memory.put32(0x5678, at: esp + 4)
    memory.put32(Self.returnAddress, at: esp + 8)
    let walk = try Self.walker(memory).walk(
      from: Self.first(eip: Self.base + 0x1108, esp: esp, ebp: 0), x64: false)
    let caller = try #require(walk.frames.dropFirst().first)
    #expect(caller.instruction == UInt64(Self.returnAddress))
    #expect(caller.stackPointer == esp + 12)
    #expect(caller.trust == .cfi)
  }

  @Test("a program that cannot run falls back to the frame pointer, then scanning")
  func fallback() throws {
    // The glued record again, but the memory its program reads ([$ebp + 204]) is absent.
    let ebp: UInt64 = 0x30_1000
    var memory = TestMemory()
    memory.put32(0x30_2000, at: ebp)
    memory.put32(Self.returnAddress, at: ebp + 4)
    let walk = try Self.walker(memory).walk(
      from: Self.first(eip: Self.base + 0x2920, esp: 0x30_0F00, ebp: ebp), x64: false)
    let caller = try #require(walk.frames.dropFirst().first)
    #expect(caller.instruction == UInt64(Self.returnAddress))
    #expect(caller.trust == .framePointer)
  }
}
