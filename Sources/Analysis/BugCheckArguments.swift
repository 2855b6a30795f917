/// What each bug-check parameter means, for the bug checks crash corpora are full of, as the
/// per-code pages of MicrosoftDocs/windows-driver-docs describe them (summarised in reference
/// kernel-dumps.md §2.3). Other codes print their parameters without meanings.
public enum BugCheckArguments {
  static let table: [UInt32: [String]] = [
    0x0A: [
      "memory referenced", "IRQL", "bitfield: bit 0 write, bit 3 execute",
      "address which referenced memory",
    ],
    0xD1: [
      "memory referenced", "IRQL", "0 read, 1 write, 2 execute, 8 execute",
      "address which referenced memory",
    ],
    0x1E: [
      "exception code", "address of the exception", "exception parameter 0",
      "exception parameter 1",
    ],
    0x3B: [
      "exception code", "address of the instruction", "address of the context record", "zero",
    ],
    0x50: [
      "memory referenced", "0 read, 1 write, 2 execute, 10 execute",
      "address which referenced memory (if known)",
      "type of page fault",
    ],
    0x7E: [
      "exception code", "address of the exception", "exception record address",
      "context record address",
    ],
    0x1000_007E: [
      "exception code", "address of the exception", "exception record address",
      "context record address",
    ],
    0x8E: ["exception code", "address of the exception", "trap frame", "reserved"],
    0x1000_008E: ["exception code", "address of the exception", "trap frame", "reserved"],
    0x133: [
      "0 single DPC or ISR exceeded its time, 1 cumulative DPC time exceeded", "time count or zero",
      "time limit or zero", "cast to nt!DPC_WATCHDOG_GLOBAL_TRIAGE_BLOCK when P1 is 1",
    ],
    0x139: ["type of corruption", "trap frame address", "exception record address", "reserved"],
    0x19: [
      "type of pool violation", "parameter depending on P1", "parameter depending on P1",
      "parameter depending on P1",
    ],
    0xBE: ["virtual address of the attempted write", "PTE contents", "reserved", "reserved"],
    0xFC: ["virtual address of the attempted execute", "PTE contents", "reserved", "reserved"],
  ]

  /// `Arg1: 0000000000000000, memory referenced` lines, WinDbg's form.
  public static func lines(code: UInt32, parameters: [UInt64]) -> [String] {
    let meanings = table[code] ?? []
    return parameters.enumerated().map { index, value in
      let hex = String(value, radix: 16)
      let padded = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
      let meaning = index < meanings.count ? ", " + meanings[index] : ""
      return "Arg\(index + 1): \(padded)\(meaning)"
    }
  }
}
