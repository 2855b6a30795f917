/// Recognises a call instruction ending just before a return address: `call rel32` (E8) or an
/// indirect `call r/m` (FF /2, with an optional REX prefix on x64) — Intel SDM Vol. 2, CALL.
/// A candidate return address whose preceding bytes are present but hold no call is rejected by
/// the scanner; one whose code is not in the dump cannot be checked and is kept.
public enum CallSite {
  /// `code` is the 8 bytes ending at the return address.
  static func endsWithCall(_ code: [UInt8], x64: Bool) -> Bool {
    guard code.count == 8 else { return false }
    if code[3] == 0xE8 { return true }
    for length in 2...7 {
      let start = 8 - length
      if code[start] == 0xFF, indirectLength(code, modrmAt: start + 1) == length {
        return true
      }
      if x64, start >= 1, code[start - 1] & 0xF0 == 0x40, code[start] == 0xFF,
        indirectLength(code, modrmAt: start + 1) == length
      {
        return true
      }
    }
    return false
  }

  /// The length of `FF /2` (call r/m) from the opcode through its operand, given the index of its
  /// ModRM byte, or nil when that byte does not encode a call.
  public static func indirectLength(_ code: [UInt8], modrmAt at: Int) -> Int? {
    guard at < code.count else { return nil }
    let modrm = code[at]
    guard (modrm >> 3) & 7 == 2 else { return nil }
    let mod = modrm >> 6
    let rm = modrm & 7
    var length = 2
    if mod != 3, rm == 4 {
      length += 1
      if mod == 0, at + 1 < code.count, code[at + 1] & 7 == 5 { length += 4 }
    }
    switch mod {
    case 0: if rm == 5 { length += 4 }
    case 1: length += 1
    case 2: length += 4
    default: break
    }
    return length
  }
}
