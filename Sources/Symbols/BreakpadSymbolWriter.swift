import ByteReader
import CodeView
import PEImage

/// Writes Breakpad `.sym` text (google/breakpad `docs/symbol_files.md`).
public enum BreakpadSymbolWriter {
  /// The `.sym` of an image whose PDB is not available, as breakpad's `dump_syms` writes it for
  /// Windows x64: `MODULE` and `INFO CODE_ID` lines, then one coarse `STACK CFI` pair per
  /// `.pdata` entry (reference/minidump.md §3.1): the CFA is RSP plus everything the prologue
  /// pushed and allocated along the unwind chain plus the return address, the return address sits
  /// just below the CFA. No per-instruction rows, no saved-register rules, like breakpad.
  public static func peOnly(_ image: PEImage, fileName: String) throws(ParseError) -> String {
    var lines: [String] = []
    let codeView = try image.codeView()
    let debugID = codeView?.debugIdentifier?.uppercased() ?? "000000000000000000000000000000000"
    let debugFile = codeView?.pdbFileName.map(baseName) ?? fileName
    lines.append("MODULE windows \(image.cpuName) \(debugID) \(debugFile)")
    lines.append("INFO CODE_ID \(image.codeIdentifier) \(fileName)")
    for line in try stackCFI(image) { lines.append(line) }
    return lines.joined(separator: "\n") + "\n"
  }

  /// The coarse STACK CFI records of every x64 `.pdata` entry.
  public static func stackCFI(_ image: PEImage) throws(ParseError) -> [String] {
    var lines: [String] = []
    for function in try image.runtimeFunctions() {
      let chain = try image.unwindChain(function)
      var stackSize: UInt64 = 8
      var returnAddressOffset: UInt64 = 8
      for info in chain {
        stackSize += info.stackAllocation
        for code in info.codes where code.operation == UnwindInfo.pushMachineFrame {
          // The machine frame's RIP is its lowest slot, above the optional error code.
          returnAddressOffset += code.info == 0 ? 40 : 48
        }
      }
      let begin = String(function.begin, radix: 16)
      let length = String(function.end &- function.begin, radix: 16)
      lines.append(
        "STACK CFI INIT \(begin) \(length) .cfa: $rsp .ra: .cfa \(returnAddressOffset) - ^")
      lines.append("STACK CFI \(begin) .cfa: $rsp \(stackSize) +")
    }
    return lines
  }

  /// The last component of a Windows or POSIX path.
  public static func baseName(_ path: String) -> String {
    path.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? path
  }
}
