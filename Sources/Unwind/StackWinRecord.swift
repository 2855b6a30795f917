/// One Breakpad `STACK WIN` record (google/breakpad `docs/symbol_files.md`): x86 frame data from a
/// PDB's FPO or FrameData stream.
public struct StackWinRecord: Sendable, Equatable {
  /// 0 FPO, 4 FrameData; FrameData wins where both cover an address (breakpad does the same).
  public var type: UInt8
  public var rva: UInt32
  public var codeSize: UInt32
  public var prologueSize: UInt32
  public var epilogueSize: UInt32
  public var parameterSize: UInt32
  public var savedRegisterSize: UInt32
  public var localSize: UInt32
  public var maxStackSize: UInt32
  /// The postfix program that computes the caller's registers, when the record has one.
  public var program: String?
  /// Set when the function uses EBP for its own purposes (no program string).
  public var allocatesBasePointer: Bool

  /// Parses the text after `STACK WIN `; nil for a malformed line.
  public init?(_ line: Substring) {
    let fields = line.split(separator: " ", maxSplits: 10, omittingEmptySubsequences: true)
    guard fields.count == 11, let type = UInt8(fields[0], radix: 16) else { return nil }
    var numbers: [UInt32] = []
    for field in fields[1...8] {
      guard let value = UInt32(field, radix: 16) else { return nil }
      numbers.append(value)
    }
    self.type = type
    rva = numbers[0]
    codeSize = numbers[1]
    prologueSize = numbers[2]
    epilogueSize = numbers[3]
    parameterSize = numbers[4]
    savedRegisterSize = numbers[5]
    localSize = numbers[6]
    maxStackSize = numbers[7]
    if fields[9] == "1" {
      program = String(fields[10])
      allocatesBasePointer = false
    } else {
      program = nil
      allocatesBasePointer = fields[10] == "1"
    }
  }

  func contains(_ rva: UInt32) -> Bool { rva >= self.rva && rva - self.rva < codeSize }
}
