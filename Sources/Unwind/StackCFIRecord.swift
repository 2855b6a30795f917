/// One Breakpad `STACK CFI INIT` record with its `STACK CFI` deltas: the rules recovering the
/// caller's registers at each address of a range (google/breakpad `docs/symbol_files.md`).
public struct StackCFIRecord: Sendable, Equatable {
  public var rva: UInt32
  public var size: UInt32
  /// The INIT rules followed by each delta's rules, with the address each starts at.
  public var rows: [(rva: UInt32, rules: Substring)]

  public static func == (lhs: StackCFIRecord, rhs: StackCFIRecord) -> Bool {
    lhs.rva == rhs.rva && lhs.size == rhs.size && lhs.rows.map(\.rva) == rhs.rows.map(\.rva)
      && lhs.rows.map(\.rules) == rhs.rows.map(\.rules)
  }

  /// The rules in force at `rva`, by register name (`.cfa`, `.ra`, `$rbx`, …): later rows
  /// override earlier ones.
  public func rules(at rva: UInt32) -> [Substring: Substring] {
    var rules: [Substring: Substring] = [:]
    for row in rows where row.rva <= rva {
      for (name, expression) in Self.split(row.rules) { rules[name] = expression }
    }
    return rules
  }

  /// Splits `reg: expr reg: expr …` into pairs.
  static func split(_ text: Substring) -> [(Substring, Substring)] {
    var pairs: [(Substring, Substring)] = []
    var name: Substring?
    var start: Substring.Index?
    var end = text.startIndex
    for token in text.split(separator: " ", omittingEmptySubsequences: true) {
      if token.hasSuffix(":") {
        if let name, let start { pairs.append((name, text[start..<end])) }
        name = token.dropLast()
        start = nil
      } else {
        if start == nil { start = token.startIndex }
        end = token.endIndex
      }
    }
    if let name, let start { pairs.append((name, text[start..<end])) }
    return pairs
  }
}
