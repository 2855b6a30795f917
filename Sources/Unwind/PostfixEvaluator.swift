/// Evaluates Breakpad's postfix expressions (`STACK WIN` programs and `STACK CFI` rules;
/// google/breakpad `src/processor/postfix_evaluator-inl.h` defines the language): numbers and
/// variables push, `+ - * / % @` are binary (`@` aligns down to a power of two), `^` dereferences,
/// `=` assigns the value below it to the variable below that. Arithmetic wraps at the word size.
struct PostfixEvaluator {
  enum Failure: Error, Equatable {
    case malformed(String)
    case unreadable(UInt64)
  }

  /// Programs longer than this are hostile; real ones have a few dozen tokens.
  static let maxTokens = 256

  var variables: [Substring: UInt64]
  let x64: Bool
  let memory: any StackMemory

  private var mask: UInt64 { x64 ? .max : 0xFFFF_FFFF }

  private enum Item {
    case value(UInt64)
    case name(Substring)
  }

  /// Runs a program of assignments (`STACK WIN`).
  mutating func run(_ program: Substring) throws(Failure) {
    let stack = try evaluate(program, allowAssignment: true)
    guard stack.isEmpty else { throw .malformed("values left on the stack") }
  }

  /// The value of one expression (a `STACK CFI` rule).
  mutating func value(of expression: Substring) throws(Failure) -> UInt64 {
    let stack = try evaluate(expression, allowAssignment: false)
    guard stack.count == 1, let only = stack.first else {
      throw .malformed("expression leaves \(stack.count) values")
    }
    return try resolve(only)
  }

  private func resolve(_ item: Item) throws(Failure) -> UInt64 {
    switch item {
    case .value(let value): return value
    case .name(let name):
      guard let value = variables[name] else { throw .malformed("\(name) is not set") }
      return value
    }
  }

  private mutating func evaluate(_ text: Substring, allowAssignment: Bool) throws(Failure) -> [Item]
  {
    var stack: [Item] = []
    var tokens = 0
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
      // MSVC's frame data glues an assignment to the next variable (`… + =$eip $T0 4 + ^ =$ebp
      // …`); breakpad's evaluator reads `=$eip` as `=` then `$eip`, and so does this one.
      let split = word.count > 1 && word.first == "="
      for token in split ? [word.prefix(1), word.dropFirst()] : [word] {
        tokens += 1
        guard tokens <= Self.maxTokens else {
          throw .malformed("more than \(Self.maxTokens) tokens")
        }
        try step(token, &stack, allowAssignment: allowAssignment)
      }
    }
    return stack
  }

  private mutating func step(_ token: Substring, _ stack: inout [Item], allowAssignment: Bool)
    throws(Failure)
  {
    switch token {
    case "+", "-", "*", "/", "%", "@":
      guard let right = stack.popLast(), let left = stack.popLast() else {
        throw .malformed("\(token) needs two operands")
      }
      let a = try resolve(left)
      let b = try resolve(right)
      let result: UInt64
      switch token {
      case "+": result = a &+ b
      case "-": result = a &- b
      case "*": result = a &* b
      case "/":
        guard b != 0 else { throw .malformed("division by zero") }
        result = a / b
      case "%":
        guard b != 0 else { throw .malformed("division by zero") }
        result = a % b
      default:
        // Align down; breakpad requires a power of two.
        guard b != 0, b & (b - 1) == 0 else { throw .malformed("@ by \(b)") }
        result = a & ~(b - 1)
      }
      stack.append(.value(result & mask))
    case "^":
      guard let top = stack.popLast() else { throw .malformed("^ needs an operand") }
      let address = try resolve(top)
      guard let value = memory.pointer(at: address, x64: x64) else { throw .unreadable(address) }
      stack.append(.value(value))
    case "=":
      guard allowAssignment, let right = stack.popLast(), case .name(let name)? = stack.popLast()
      else { throw .malformed("= needs a variable and a value") }
      variables[name] = try resolve(right)
    default:
      if let first = token.first, first == "$" || first == "." {
        stack.append(.name(token))
      } else if let number = Self.number(token) {
        stack.append(.value(UInt64(bitPattern: number) & mask))
      } else {
        throw .malformed("unknown token \(token)")
      }
    }
  }

  static func number(_ token: Substring) -> Int64? {
    if token.hasPrefix("0x") { return Int64(token.dropFirst(2), radix: 16) }
    if token.hasPrefix("-0x") { return Int64(token.dropFirst(3), radix: 16).map { -$0 } }
    return Int64(token)
  }
}
