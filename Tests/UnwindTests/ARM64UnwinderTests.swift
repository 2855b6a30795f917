import Analysis
import ByteReader
import CrashsiftTestSupport
import Foundation
import KernelDump
import PEImage
import Testing

@testable import Unwind

/// The ARM64 unwinder against LLVM's independent decoding of the same `.pdata`/`.xdata`
/// (llvm-readobj --unwind), and the frame-record walk of the real ARM64 triage dump.
@Suite("ARM64 unwinder")
struct ARM64UnwinderTests {
  static let images = ["netfilt-arm64/netfilt.sys", "netfilt-arm64fp/netfilt.sys"]

  /// llvm-readobj's prologue listing of each function, by start RVA, in unwind order.
  static func readobjPrologues(_ path: String) throws -> [UInt32: [String]] {
    let readobj = try Requirement.tool("llvm-readobj").resolve()
    let text = String(decoding: try Tools.output(readobj, ["--unwind", path]), as: UTF8.self)
    var result: [UInt32: [String]] = [:]
    var function: UInt32?
    var inPrologue = false
    for raw in text.split(separator: "\n") {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if line.hasPrefix("Function: 0x"), let address = UInt64(line.dropFirst(12), radix: 16) {
        function = UInt32(address - 0x1_4000_0000)
        result[function ?? 0] = []
      } else if line == "Prologue [" {
        inPrologue = true
      } else if line == "]" {
        inPrologue = false
      } else if inPrologue, let function {
        // "0xe20a   ; add fp, sp, #80" in .xdata listings; plain text for packed entries.
        let instruction =
          line.split(separator: ";", maxSplits: 1).last.map {
            $0.trimmingCharacters(in: .whitespaces)
          } ?? line
        result[function, default: []].append(instruction)
      }
    }
    return result
  }

  static func name(_ register: Int, xdata: Bool) -> String {
    let n = register - RegisterSet.arm64X
    if n == 30 { return xdata ? "x30" : "lr" }
    return "x\(n)"
  }

  /// Our operations in LLVM's wording (packed listings say `lr`, `.xdata` ones `x30`).
  static func text(_ op: ARM64Unwinder.Op, xdata: Bool) -> String {
    switch op {
    case .alloc(let size): return xdata ? "sub sp, #\(size)" : "sub sp, sp, #\(size)"
    case .save(let list, let offset) where list.count == 2:
      return "stp \(name(list[0], xdata: xdata)), \(name(list[1], xdata: xdata)), [sp, #\(offset)]"
    case .save(let list, let offset) where list.count == 1:
      return "str \(name(list[0], xdata: xdata)), [sp, #\(offset)]"
    case .saveX(let list, let size) where list.count == 2:
      return "stp \(name(list[0], xdata: xdata)), \(name(list[1], xdata: xdata)), [sp, #-\(size)]!"
    case .saveX(let list, let size) where list.count == 1:
      return "str \(name(list[0], xdata: xdata)), [sp, #-\(size)]!"
    case .setFP: return xdata ? "mov fp, sp" : "mov x29, sp"
    case .addFP(let delta): return "add fp, sp, #\(delta)"
    case .saveNext: return "save next"
    case .end: return "end"
    case .nop: return "nop"
    default: return "\(op)"
    }
  }

  static func code(_ relative: String) throws -> (ModuleCode, String) {
    let path = "\(Corpus.packageRoot)/samples/images/\(relative)"
    return (ModuleCode(image: try PEImage(path: path), symbols: nil), path)
  }

  @Test(
    "decoding: every function's prologue reads as llvm-readobj reads it",
    .requires(.tool("llvm-readobj")), arguments: images)
  func decoding(image relative: String) throws {
    let (code, path) = try Self.code(relative)
    let expected = try Self.readobjPrologues(path)
    #expect(!expected.isEmpty, "llvm-readobj listed no function of \(relative)")
    #expect(expected.count == code.arm64Functions.count)
    for entry in code.arm64Functions {
      let function = try #require(code.arm64Function(at: entry.begin))
      let ours: [String]
      if let packed = entry.packed {
        ours = ARM64Unwinder.ops(packed).map { Self.text($0, xdata: false) } + ["end"]
      } else {
        let info = try #require(function.info)
        ours = ARM64Unwinder.decode(info.codes).map { Self.text($0, xdata: true) }
      }
      #expect(ours == expected[entry.begin], "0x\(String(entry.begin, radix: 16))")
    }
  }

  @Test(
    "unwinding: a frame laid out from LLVM's listing of each prologue unwinds to the caller",
    .requires(.tool("llvm-readobj")), arguments: images)
  func unwinding(image relative: String) throws {
    let (code, path) = try Self.code(relative)
    let prologues = try Self.readobjPrologues(path)
    #expect(!prologues.isEmpty, "llvm-readobj listed no function of \(relative)")
    for entry in code.arm64Functions {
      let listing = try #require(prologues[entry.begin])
      let function = try #require(code.arm64Function(at: entry.begin))
      var memory = TestMemory()
      let entrySP: UInt64 = 0x20_0000
      var original: [Int: UInt64] = [:]
      for n in 19...30 { original[RegisterSet.arm64X + n] = 0xA000 + UInt64(n) }
      var registers = original
      var sp = entrySP
      var lastPair: (Int, UInt64)?
      func reg(_ text: Substring) -> Int {
        let name = text.trimmingCharacters(in: .whitespaces)
        if name == "lr" || name == "x30" { return RegisterSet.arm64X + 30 }
        if name == "fp" || name == "x29" { return RegisterSet.arm64X + 29 }
        return RegisterSet.arm64X + (Int(name.dropFirst()) ?? 0)
      }
      func number(_ text: String) -> UInt64 {
        let digits = text.filter { $0.isNumber }
        return UInt64(digits) ?? 0
      }
      // Run the prologue forwards: LLVM lists it in unwind order.
      for instruction in listing.reversed() {
        let parts = instruction.split(separator: " ", maxSplits: 1)
        let operands = parts.count > 1 ? parts[1].split(separator: ",") : []
        switch parts.first {
        case "sub":
          sp -= number(String(operands.last ?? ""))
        case "stp", "str":
          let isPair = parts.first == "stp"
          let registersSaved = isPair ? [reg(operands[0]), reg(operands[1])] : [reg(operands[0])]
          let offsetText = String(operands.last ?? "")
          let value = number(offsetText)
          var at: UInt64
          if offsetText.hasSuffix("!") {
            sp -= value
            at = sp
            if isPair { lastPair = (registersSaved[0], 0) }
          } else {
            at = sp + value
            if isPair { lastPair = (registersSaved[0], value) }
          }
          for register in registersSaved {
            memory.put64(registers[register] ?? 0, at: at)
            at += 8
          }
        case "save":
          let (first, offset) = try #require(lastPair)
          memory.put64(registers[first + 2] ?? 0, at: sp + offset + 16)
          memory.put64(registers[first + 3] ?? 0, at: sp + offset + 24)
          lastPair = (first + 2, offset + 16)
        case "mov":
          registers[RegisterSet.arm64X + 29] = sp
        case "add":
          registers[RegisterSet.arm64X + 29] = sp + number(String(operands.last ?? ""))
        default:
          break
        }
      }
      // The body: more stack below a frame pointer, callee-saved registers reused, LR clobbered.
      let framePointer = listing.contains { $0.hasPrefix("mov") || $0.hasPrefix("add fp") }
      if framePointer { sp -= 0x40 }
      var context = RegisterSet()
      for n in 19...28 { context[RegisterSet.arm64X + n] = 0xDEAD_0000 + UInt64(n) }
      context[RegisterSet.arm64X + 29] = registers[RegisterSet.arm64X + 29]
      context[RegisterSet.arm64X + 30] = 0xBAD
      context[RegisterSet.sp] = sp
      let length = function.entry.packed?.functionLength ?? function.info?.functionLength ?? 4
      let rva = entry.begin + length - 8
      let outcome = ARM64Unwinder(memory: memory).unwind(
        context, rva: rva, function: function, code: code, exact: false)
      guard case .caller(let caller, _) = outcome else {
        Issue.record("0x\(String(entry.begin, radix: 16)): \(outcome)")
        continue
      }
      #expect(caller[RegisterSet.sp] == entrySP, "0x\(String(entry.begin, radix: 16)) SP")
      #expect(caller[RegisterSet.ip] == original[RegisterSet.arm64X + 30], "PC")
      // Every register the prologue saved comes back.
      let saved = Set(
        listing.flatMap { line -> [Int] in
          guard line.hasPrefix("st") else { return [] }
          let names = line.dropFirst(4).split(separator: "[").first?.split(separator: ",") ?? []
          return names.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { reg($0) }
        })
      #expect(!saved.isEmpty)
      for register in saved {
        #expect(
          caller[register] == original[register],
          "0x\(String(entry.begin, radix: 16)) x\(register - RegisterSet.arm64X)")
      }
    }
  }

  @Test(
    "triage_arm64.dmp: five frames through the frame-record chain, as rizin finds",
    .requires(.corpus))
  func triage() throws {
    let root = try Requirement.corpus.resolve()
    let dump = try KernelDump(file: MappedFile(path: "\(root)/kernel/triage_arm64.dmp"))
    let stack = try #require(ThreadStack.crashingThread(of: dump, symbols: nil))
    let expected =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: "\(root)/kernel/triage_arm64.expected.json")))
      as? [String: Any]
    let rizin = try #require(expected?["rizin_expected_backtrace_symbols"] as? [String])
    #expect(stack.frames.count == rizin.count, "\(stack.text(x64: true))")
    #expect(stack.frames.allSatisfy { $0.location.module == "ntoskrnl.exe" })
    #expect(stack.frames.dropFirst().allSatisfy { $0.trust == .framePointer })
    if let pc = expected?["rizin_expected_pc"] as? String {
      #expect("0x" + String(stack.frames.first?.instruction ?? 0, radix: 16) == pc.lowercased())
    }
    #expect(!stack.truncated, "\(stack.stopReason)")
  }
}
