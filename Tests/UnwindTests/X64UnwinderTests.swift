import CrashsiftTestSupport
import Foundation
import PEImage
import Symbols
import Testing

@testable import Unwind

/// The x64 unwinder against symbolic's independent reading of the same unwind info, and the
/// prologue decoder on hand-assembled prologues.
@Suite("x64 unwinder")
struct X64UnwinderTests {
  @Test(
    "every CrashWithException.exe function: caller RSP, RIP and saved registers where symbolic's CFI puts them",
    .requires(.corpus))
  func againstSymbolicCFI() throws {
    let root = try Requirement.corpus.resolve()
    let image = try PEImage(
      path: "\(root)/minidump/symbolic/symbolic-testutils/fixtures/windows/CrashWithException.exe")
    let code = ModuleCode(image: image, symbols: nil)
    let snapshot = try String(
      contentsOfFile:
        "\(root)/minidump/symbolic/symbolic-cfi/tests/snapshots/test_cfi__cfi_pe_windows.snap",
      encoding: .utf8)
    let rows = snapshot.split(whereSeparator: \.isNewline).filter {
      $0.hasPrefix("STACK CFI INIT ")
    }
    #expect(rows.count == 41)
    let names = UnwindCFIWriter.registerNames
    for row in rows {
      let fields = row.dropFirst(15).split(separator: " ", maxSplits: 2)
      let begin = try #require(UInt32(fields[0], radix: 16))
      let size = try #require(UInt32(fields[1], radix: 16))
      let rules = StackCFIRecord.split(fields[2])
      // .cfa: $rsp N +
      let cfaTokens = try #require(rules.first { $0.0 == ".cfa" }?.1.split(separator: " "))
      let cfaOffset = try #require(UInt64(cfaTokens[1]))
      let rsp: UInt64 = 0x10_0000
      let cfa = rsp + cfaOffset
      var memory = TestMemory()
      var expected: [Int: UInt64] = [:]
      for (name, rule) in rules where name != ".cfa" {
        // "<.cfa> K - ^": the value sits at CFA − K.
        let k = try #require(Int64(rule.split(separator: " ")[1]))
        let value: UInt64 = name == ".ra" ? 0x1_4000_1234 : 0xAB00 + UInt64(expected.count)
        memory.put64(value, at: UInt64(bitPattern: Int64(bitPattern: cfa) - k))
        if name != ".ra", let register = names.firstIndex(of: String(name)) {
          expected[register] = value
        }
      }
      var registers = RegisterSet()
      registers[RegisterSet.sp] = rsp
      registers[RegisterSet.ip] = 0x1_4000_0000 + UInt64(begin + size - 1)
      let outcome = X64Unwinder(memory: memory).unwind(
        registers, rva: begin + size - 1, code: code, exact: false)
      guard case .caller(let caller, let trap) = outcome else {
        Issue.record("0x\(String(begin, radix: 16)): \(outcome)")
        continue
      }
      #expect(!trap)
      #expect(caller[RegisterSet.sp] == cfa, "0x\(String(begin, radix: 16)) RSP")
      #expect(caller[RegisterSet.ip] == 0x1_4000_1234, "0x\(String(begin, radix: 16)) RIP")
      for (register, value) in expected {
        #expect(caller[register] == value, "0x\(String(begin, radix: 16)) \(names[register])")
      }
    }
  }

  @Test("prologues: home-area saves, pushes, sub rsp, __chkstk, and stopping inside the prologue")
  func prologues() {
    // mov [rsp+8], rbx ; mov [rsp+16], rsi ; push rdi ; sub rsp, 0x20 ; mov rax, [rip+x]
    let msvc: [UInt8] = [
      0x48, 0x89, 0x5C, 0x24, 0x08, 0x48, 0x89, 0x74, 0x24, 0x10, 0x57, 0x48, 0x83, 0xEC, 0x20,
      0x48, 0x8B, 0x05, 0, 0, 0, 0,
    ]
    let full = X64Prologue(code: msvc, limit: msvc.count)
    #expect(full.depth == 0x28)
    #expect(full.length == 15)
    #expect(full.saves.map(\.register) == [3, 6] && full.saves.map(\.entryOffset) == [8, 16])
    #expect(full.pushes.map(\.register) == [7] && full.pushes.map(\.entryOffset) == [-8])
    // Stopped after the push: the allocation has not run.
    #expect(X64Prologue(code: msvc, limit: 11).depth == 8)
    // push r14 (REX.B) ; mov eax, 0x1050 ; call __chkstk ; sub rsp, rax
    let big: [UInt8] = [
      0x41, 0x56, 0xB8, 0x50, 0x10, 0, 0, 0xE8, 1, 2, 3, 4, 0x48, 0x2B, 0xE0, 0xCC,
    ]
    let chkstk = X64Prologue(code: big, limit: big.count)
    #expect(chkstk.depth == 8 + 0x1050)
    #expect(chkstk.pushes.map(\.register) == [14])
    // Unwinding with it: registers come back from where the prologue put them.
    var memory = TestMemory()
    let rsp: UInt64 = 0x8000
    memory.put64(0x7777, at: rsp + 0x28 - 8)  // pushed rdi
    memory.put64(0xAAAA, at: rsp + 0x28)  // return address
    memory.put64(0xBBBB, at: rsp + 0x28 + 8)  // rbx in the home area
    memory.put64(0xCCCC, at: rsp + 0x28 + 16)  // rsi
    var registers = RegisterSet()
    registers[RegisterSet.sp] = rsp
    let caller = full.unwind(registers, memory: memory)
    #expect(caller?[RegisterSet.ip] == 0xAAAA && caller?[RegisterSet.sp] == rsp + 0x30)
    #expect(caller?[7] == 0x7777 && caller?[3] == 0xBBBB && caller?[6] == 0xCCCC)
  }

  @Test("epilogues: a thread stopped at add rsp / pop / ret unwinds by running the rest")
  func epilogue() {
    var memory = TestMemory()
    let rsp: UInt64 = 0x9000
    memory.put64(0x1111, at: rsp + 0x20)  // popped rdi
    memory.put64(0x2222, at: rsp + 0x28)  // return address
    var registers = RegisterSet()
    registers[RegisterSet.sp] = rsp
    // add rsp, 0x20 ; pop rdi ; ret
    let outcome = X64Unwinder(memory: memory).epilogue(
      registers, code: [0x48, 0x83, 0xC4, 0x20, 0x5F, 0xC3])
    guard case .caller(let caller, _)? = outcome else {
      Issue.record("not recognised as an epilogue")
      return
    }
    #expect(
      caller[7] == 0x1111 && caller[RegisterSet.ip] == 0x2222
        && caller[RegisterSet.sp] == rsp + 0x30)
    // A jmp inside a function body is not an epilogue.
    #expect(X64Unwinder(memory: memory).epilogue(registers, code: [0xEB, 0x10]) == nil)
  }
}

extension UnwindOutcome: CustomStringConvertible {
  public var description: String {
    switch self {
    case .caller: "caller"
    case .failed(let reason): "failed: \(reason)"
    case .noInfo: "no info"
    }
  }
}

/// x64 frames unwound from a `.sym`'s STACK CFI when the image itself is not available.
@Suite("x64 STACK CFI")
struct X64StackCFITests {
  @Test(
    "CrashWithException's rules as .sym records: the walker restores RSP, RIP and saved registers",
    .requires(.corpus))
  func cfiRecords() throws {
    let root = try Requirement.corpus.resolve()
    let image = try PEImage(
      path: "\(root)/minidump/symbolic/symbolic-testutils/fixtures/windows/CrashWithException.exe")
    let records = try UnwindCFIWriter.detailedStackCFI(image)
    let sym = (["MODULE windows x86_64 0123456789ABCDEF0123456789ABCDEF1 app.pdb"] + records)
      .joined(separator: "\n")
    let table = try BreakpadSymbolReader.read(text: sym)
    let base: UInt64 = 0x1_4000_0000
    let modules = ModuleMap([UnwindModule(name: "app.exe", base: base, size: 0x10000)]) { _ in
      ModuleCode(image: nil, symbols: table)
    }
    var checked = 0
    for record in records {
      let fields = record.dropFirst(15).split(separator: " ", maxSplits: 2)
      guard let begin = UInt32(fields[0], radix: 16), let size = UInt32(fields[1], radix: 16) else {
        continue
      }
      let rules = StackCFIRecord.split(fields[2])
      guard let cfaTokens = rules.first(where: { $0.0 == ".cfa" })?.1.split(separator: " "),
        let cfaOffset = UInt64(cfaTokens[1])
      else { continue }
      let rsp: UInt64 = 0x10_0000
      let cfa = rsp + cfaOffset
      var memory = TestMemory()
      var expected: [Int: UInt64] = [:]
      for (name, rule) in rules where name != ".cfa" {
        guard let k = Int64(rule.split(separator: " ")[1]) else { continue }
        // The caller is inside the same module, after a call (so a scan would not be needed).
        let value: UInt64 = name == ".ra" ? base + 0x1000 : 0xAB00 + UInt64(expected.count)
        memory.put64(value, at: UInt64(bitPattern: Int64(bitPattern: cfa) - k))
        if let register = UnwindNames.x64.firstIndex(of: name) { expected[register] = value }
      }
      var registers = RegisterSet()
      registers[RegisterSet.sp] = rsp
      registers[RegisterSet.ip] = base + UInt64(begin + size - 1)
      let first = StackFrame(
        instruction: base + UInt64(begin + size - 1), stackPointer: rsp, registers: registers,
        trust: .context, module: 0)
      let walker = StackWalker(memory: memory, modules: modules)
      guard case .frame(let caller)? = Optional(X64Walker(walker: walker).caller(of: [first]))
      else {
        Issue.record("0x\(String(begin, radix: 16)): no caller")
        continue
      }
      #expect(caller.trust == .cfi, "0x\(String(begin, radix: 16))")
      #expect(caller.stackPointer == cfa && caller.instruction == base + 0x1000)
      for (register, value) in expected {
        #expect(
          caller.registers[register] == value, "0x\(String(begin, radix: 16)) register \(register)")
      }
      checked += 1
    }
    #expect(checked == 41)
  }
}
