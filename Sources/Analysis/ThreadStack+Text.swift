extension ThreadStack {
  /// A `kv`-like listing: frame number, Child-SP, RetAddr, call site, and how the frame was found.
  /// Addresses are 16 hex digits with WinDbg's backtick for 64-bit dumps, 8 for 32-bit ones.
  public func text(x64: Bool) -> String {
    func address(_ value: UInt64?) -> String {
      guard let value else { return x64 ? "--------`--------" : "--------" }
      let digits = String(value, radix: 16)
      if !x64 { return String(repeating: "0", count: max(0, 8 - digits.count)) + digits }
      let padded = String(repeating: "0", count: max(0, 16 - digits.count)) + digits
      return padded.prefix(8) + "`" + padded.suffix(8)
    }
    let width = x64 ? 17 : 8
    var lines: [String] = []
    let header =
      " # " + "Child-SP".padding(toLength: width, withPad: " ", startingAt: 0) + " "
      + "RetAddr".padding(toLength: width, withPad: " ", startingAt: 0) + " Call Site"
    lines.append(header)
    for frame in frames {
      let number =
        frame.index < 16 ? "0" + String(frame.index, radix: 16) : String(frame.index, radix: 16)
      let site = frame.location.text(windbgModuleName: isKernel, lineSeparator: "@")
      // Inlined calls first, innermost on top, as WinDbg lists "(Inline Function)" frames.
      let module = frame.location.module.map { isKernel ? ThreadStack.stem($0) : $0 } ?? "?"
      for inline in frame.location.inlines {
        lines.append("\(number) \(address(nil)) \(address(nil)) \(module)!\(inline)  [inline]")
      }
      lines.append(
        "\(number) \(address(frame.stackPointer)) \(address(frame.returnAddress)) \(site)  [\(frame.trust.rawValue)]"
      )
    }
    lines.append((truncated ? "walk cut: " : "end: ") + stopReason)
    // `.trap`: the registers a trap or machine frame restored.
    for frame in frames where frame.trust == .trap {
      let registers = frame.registers ?? [:]
      let order =
        x64
        ? [
          "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rip", "rsp", "rbp", "r8", "r9", "r10", "r11",
          "r12", "r13", "r14", "r15",
        ]
        : ["eax", "ebx", "ecx", "edx", "esi", "edi", "eip", "esp", "ebp"]
      let shown = order.compactMap { name in registers[name].map { "\(name)=\(address($0))" } }
      lines.append("TRAP_FRAME (frame \(frame.index)): " + shown.joined(separator: " "))
    }
    for (module, reason) in missingSymbols.sorted(by: { $0.key < $1.key }) {
      lines.append("no symbols for \(module): \(reason)")
    }
    return lines.joined(separator: "\n")
  }
}
