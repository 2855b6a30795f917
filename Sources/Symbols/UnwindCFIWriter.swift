import ByteReader
import PEImage

/// Turns x64 `.pdata` unwind info into Breakpad `STACK CFI` rules with saved-register locations
/// — the detailed form symbolic writes (`symbolic-cfi`, snapshot `test_cfi__cfi_pe_windows.snap`),
/// as opposed to breakpad's coarse form in `BreakpadSymbolWriter.stackCFI`.
///
/// The rules describe the state after the prologue: the CFA is RSP plus everything the prologue
/// pushed and allocated (along the unwind chain) plus the return address; a pushed register sits
/// at the CFA minus its push depth; a register saved with `MOV [RSP+n]` sits at
/// `CFA - (stack size - n)`, which may be above the CFA (the caller's home space).
public enum UnwindCFIWriter {
  /// The x64 register names Breakpad uses, indexed by the UNWIND_CODE register number
  /// (Microsoft "x64 exception handling": 0 RAX … 15 R15).
  public static let registerNames = [
    "$rax", "$rcx", "$rdx", "$rbx", "$rsp", "$rbp", "$rsi", "$rdi",
    "$r8", "$r9", "$r10", "$r11", "$r12", "$r13", "$r14", "$r15",
  ]

  /// One `STACK CFI INIT` line per `.pdata` entry, in table order.
  public static func detailedStackCFI(_ image: PEImage) throws(ParseError) -> [String] {
    var lines: [String] = []
    for function in try image.runtimeFunctions() {
      lines.append(try rule(for: function, chain: image.unwindChain(function)))
    }
    return lines
  }

  /// The rule of one function given its unwind chain (the function's own info first).
  public static func rule(for function: PERuntimeFunction, chain: [UnwindInfo]) throws(ParseError)
    -> String
  {
    // The prologue runs the outermost (last chained) info's codes first, and each info's codes are
    // stored last-executed first; so the execution order is the chain and its codes reversed.
    var executed: [UnwindInfo.Code] = []
    for info in chain.reversed() { executed.append(contentsOf: info.codes.reversed()) }
    var depth: Int64 = 8
    var returnAddress: Int64 = 8
    var machineFrame = false
    var pushed: [(register: Int, depth: Int64)] = []
    var saved: [(register: Int, offset: Int64)] = []
    var framePointer: (register: Int, depth: Int64)?
    for code in executed {
      switch code.operation {
      case UnwindInfo.pushNonVolatile:
        depth += 8
        pushed.append((Int(code.info), depth))
      case UnwindInfo.allocLarge, UnwindInfo.allocSmall:
        depth += Int64(code.operand ?? 0)
      case UnwindInfo.saveNonVolatile, UnwindInfo.saveNonVolatileFar:
        saved.append((Int(code.info), Int64(code.operand ?? 0)))
      case UnwindInfo.pushMachineFrame:
        // The CPU pushed SS, RSP, EFLAGS, CS, RIP (and an error code) instead of a return address.
        machineFrame = true
        // From the CFA down: SS, RSP, EFLAGS, CS, RIP, then the optional error code.
        depth = code.info == 0 ? 40 : 48
        returnAddress = 40
      case UnwindInfo.setFramePointer:
        if let info = chain.first {
          framePointer = (Int(info.frameRegister), depth - 16 * Int64(info.frameOffset))
        }
      default:
        break
      }
    }
    var parts: [String] = []
    if let framePointer, framePointer.register < registerNames.count {
      parts.append(".cfa: \(registerNames[framePointer.register]) \(framePointer.depth) +")
    } else {
      parts.append(".cfa: $rsp \(depth) +")
    }
    for (register, at) in pushed where register < registerNames.count {
      parts.append("\(registerNames[register]): .cfa \(at) - ^")
    }
    for (register, offset) in saved where register < registerNames.count {
      parts.append("\(registerNames[register]): .cfa \(depth - offset) - ^")
    }
    if machineFrame {
      parts.append("$rsp: .cfa 16 - ^")
    }
    parts.append(".ra: .cfa \(returnAddress) - ^")
    let begin = String(function.begin, radix: 16)
    let length = String(function.end &- function.begin, radix: 16)
    return "STACK CFI INIT \(begin) \(length) " + parts.joined(separator: " ")
  }
}
