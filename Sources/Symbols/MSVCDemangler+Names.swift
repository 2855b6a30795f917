/// Names: qualified names, their backreferences, templates, operators and the compiler's own
/// names.
extension MSVCDemangler {
  typealias Identifier = MSVCSyntax.Identifier
  typealias QualifiedName = MSVCSyntax.QualifiedName

  /// A symbol's own name: its last component (an operator, constructor, template or simple
  /// name), then its scopes up to `@`.
  mutating func fullyQualifiedSymbolName() -> QualifiedName? {
    guard let identifier = unqualifiedSymbolName(memorizeTemplate: false),
      var name = nameScopeChain(identifier)
    else { return nil }
    if case .structor(let destructor, _, let arguments) = identifier {
      // A constructor is named after its class, the scope just outside it.
      let count = name.components.count
      guard count >= 2 else { return nil }
      name.components[count - 1] = .structor(
        destructor: destructor, owner: name.components[count - 2], arguments)
    }
    return name
  }

  /// A type's name: a simple name or template (remembered for backreferences), then scopes.
  mutating func fullyQualifiedTypeName() -> QualifiedName? {
    guard let identifier = unqualifiedTypeName() else { return nil }
    return nameScopeChain(identifier)
  }

  /// `identifier`, then scopes innermost first up to `@`; returned outermost first.
  mutating func nameScopeChain(_ identifier: Identifier) -> QualifiedName? {
    guard enter() else { return nil }
    defer { leave() }
    var components = [identifier]
    while !consume("@") {
      guard peek != nil, components.count < 64, let scope = nameScopePiece() else { return nil }
      components.append(scope)
    }
    return QualifiedName(components: components.reversed())
  }

  private mutating func unqualifiedSymbolName(memorizeTemplate: Bool) -> Identifier? {
    if Self.isDigit(peek) { return backreferencedName() }
    if starts(with: "?$") { return templateInstantiation(memorize: memorizeTemplate) }
    if consume("?") { return operatorName() }
    return simpleName(memorize: true)
  }

  /// A backreference, a template (remembered) or a simple name (remembered).
  mutating func unqualifiedTypeName() -> Identifier? {
    if Self.isDigit(peek) { return backreferencedName() }
    if starts(with: "?$") { return templateInstantiation(memorize: true) }
    return simpleName(memorize: true)
  }

  private mutating func nameScopePiece() -> Identifier? {
    if Self.isDigit(peek) { return backreferencedName() }
    if starts(with: "?$") { return templateInstantiation(memorize: true) }
    if consume("?A") {
      // `?A0x<hash>@`: an anonymous namespace, remembered under its key; a backreference to it
      // is the namespace again (llvm-undname prints the key there, clang means the namespace).
      let start = index
      while let byte = peek, byte != UInt8(ascii: "@") { index += 1 }
      let key = String(decoding: input[start..<index], as: UTF8.self)
      guard consume("@") else { return nil }
      let identifier = Identifier.named("`anonymous namespace'", nil)
      remember(key, identifier)
      return identifier
    }
    if startsLocalScope() {
      // `?<n>?<symbol>`: a name inside block n of a function, which is a whole symbol.
      index += 1
      guard let (block, _) = number(), consume("?"), let function = parse() else { return nil }
      return .localScope(function, block)
    }
    return simpleName(memorize: true)
  }

  /// `?` then a block number (`0`–`9`, or hex `B`–`P` then `A`–`P` up to `@`; `@` alone is 0)
  /// and `?`. The first hex digit is never `A`, which would be an anonymous namespace.
  private func startsLocalScope() -> Bool {
    guard peek == UInt8(ascii: "?") else { return false }
    var end = index + 1
    while end < input.count, input[end] != UInt8(ascii: "?") { end += 1 }
    guard end < input.count, end > index + 1 else { return false }
    let digits = input[(index + 1)..<end]
    if digits.count == 1 {
      let byte = input[index + 1]
      return byte == UInt8(ascii: "@") || Self.isDigit(byte)
    }
    guard digits.last == UInt8(ascii: "@") else { return false }
    let hex = digits.dropLast()
    guard let first = hex.first, first >= UInt8(ascii: "B"), first <= UInt8(ascii: "P") else {
      return false
    }
    return hex.allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "P") }
  }

  private mutating func backreferencedName() -> Identifier? {
    guard let byte = take(), Self.isDigit(byte) else { return nil }
    let slot = Int(byte - UInt8(ascii: "0"))
    return slot < names.count ? names[slot].identifier : nil
  }

  /// An identifier ended by `@`.
  private mutating func simpleName(memorize: Bool) -> Identifier? {
    let start = index
    while let byte = peek, byte != UInt8(ascii: "@") {
      guard byte >= 0x20, byte != 0x7F else { return nil }
      index += 1
    }
    guard index > start, consume("@") else { return nil }
    let text = String(decoding: input[start..<(index - 1)], as: UTF8.self)
    let identifier = Identifier.named(text, nil)
    if memorize { remember(text, identifier) }
    return identifier
  }

  /// Backreferences number the first ten distinct names of a scope.
  mutating func remember(_ text: String, _ identifier: Identifier) {
    if names.count < 10 && !names.contains(where: { $0.text == text }) {
      names.append((text, identifier))
    }
  }

  /// A template, or a symbol named as a template argument, is remembered by its printed form.
  mutating func remember(_ identifier: Identifier) -> Bool {
    guard
      let text = MSVCSyntaxPrinter.render(style: .declaration, { $0.identifier(identifier) })
    else { return false }
    remember(text, identifier)
    return true
  }

  /// `?$<name><arguments>@`. Its arguments have their own backreferences; as a type or scope
  /// (`memorize`) the whole instantiation is then one name of the enclosing scope.
  private mutating func templateInstantiation(memorize: Bool) -> Identifier? {
    guard enter(), consume("?$") else { return nil }
    defer { leave() }
    let outer = (names, parameters)
    names = []
    parameters = []
    let base = unqualifiedSymbolName(memorizeTemplate: false)
    let arguments = base == nil ? nil : templateArguments()
    (names, parameters) = outer
    guard let base, let arguments, let identifier = base.withTemplateArguments(arguments) else {
      return nil
    }
    if memorize {
      switch identifier {
      case .structor, .conversion: return nil
      default: break
      }
      guard remember(identifier) else { return nil }
    }
    return identifier
  }

  /// Template arguments up to `@`.
  private mutating func templateArguments() -> [MSVCSyntax.TemplateArgument]? {
    var arguments: [MSVCSyntax.TemplateArgument] = []
    while !consume("@") {
      guard peek != nil, arguments.count < 256 else { return nil }
      // Pack separators and empty packs print nothing.
      if consume("$S") || consume("$$V") || consume("$$$V") || consume("$$Z") { continue }
      guard let argument = templateArgument() else { return nil }
      arguments.append(argument)
    }
    return arguments
  }

  private mutating func templateArgument() -> MSVCSyntax.TemplateArgument? {
    // `$M<type>`: an `auto` parameter; the type is not printed and the value follows without
    // its `$`.
    let automatic = consume("$M")
    if automatic {
      guard type(.drop) != nil else { return nil }
    }
    if consume("$$Y") { return fullyQualifiedTypeName().map { .name($0) } }
    if consume("$$B") { return type(.drop).map { .type($0) } }
    if consume("$$C") { return type(.mangle).map { .type($0) } }
    if starts(with: "$E?") {
      // A reference to a symbol.
      index += 2
      guard let symbol = parse() else { return nil }
      return .symbol(symbol, affinity: .reference, offsets: [])
    }
    let prefix = automatic ? 0 : 1
    if !automatic && peek != UInt8(ascii: "$") {
      return type(.drop).map { .type($0) }
    }
    let code = index + prefix < input.count ? input[index + prefix] : 0
    switch code {
    case UInt8(ascii: "1"), UInt8(ascii: "H"), UInt8(ascii: "I"), UInt8(ascii: "J"):
      // A pointer to a symbol or member function: `1` single, `H` multiple, `I` virtual and
      // `J` unspecified inheritance, with 0–3 offsets.
      index += prefix + 1
      var symbol: MSVCSyntax.Symbol?
      if peek == UInt8(ascii: "?") {
        guard let parsed = parse(), let last = parsed.qualifiedName?.components.last,
          remember(last)
        else { return nil }
        symbol = parsed
      }
      let count =
        code == UInt8(ascii: "J")
        ? 3 : code == UInt8(ascii: "I") ? 2 : code == UInt8(ascii: "H") ? 1 : 0
      guard let offsets = signedNumbers(count) else { return nil }
      return .symbol(symbol, affinity: .pointer, offsets: offsets)
    case UInt8(ascii: "F"), UInt8(ascii: "G"):
      // A data member pointer: offsets only.
      index += prefix + 1
      guard let offsets = signedNumbers(code == UInt8(ascii: "G") ? 3 : 2) else { return nil }
      return .symbol(nil, affinity: .pointer, offsets: offsets)
    case UInt8(ascii: "0"):
      index += prefix + 1
      guard let (value, negative) = number() else { return nil }
      return .integer(value, negative: negative)
    default:
      return type(.drop).map { .type($0) }
    }
  }

  private mutating func signedNumbers(_ count: Int) -> [Int64]? {
    var values: [Int64] = []
    for _ in 0..<count {
      guard let value = signed() else { return nil }
      values.append(value)
    }
    return values
  }

  /// After `?` in a symbol's name: a constructor, destructor, conversion, operator or
  /// compiler-generated function.
  private mutating func operatorName() -> Identifier? {
    guard let code = take() else { return nil }
    switch code {
    case UInt8(ascii: "0"), UInt8(ascii: "1"):
      // The owner is filled in once the scopes are read.
      return .structor(
        destructor: code == UInt8(ascii: "1"), owner: .named("", nil), nil)
    case UInt8(ascii: "B"):
      return .conversion(nil, nil)
    case UInt8(ascii: "_"):
      if consume("_") {
        guard let second = take() else { return nil }
        if second == UInt8(ascii: "K") {
          // `operator ""_x`. clang (like MSVC) counts the suffix among the backreferenced
          // names; llvm-undname does not, and misreads the names after it.
          guard case .named(let suffix, _)? = simpleName(memorize: true) else { return nil }
          return .literalOperator(suffix, nil)
        }
        return Self.doubleUnderscoreOperators[second].map { .intrinsic($0, nil) }
      }
      guard let second = take() else { return nil }
      return Self.underscoreOperators[second].map { .intrinsic($0, nil) }
    default:
      return Self.operators[code].map {
        .intrinsic(MSVCSyntax.Intrinsic(declaration: $0, windbg: $0), nil)
      }
    }
  }

  private static let operators: [UInt8: String] = letters([
    "2": "operator new", "3": "operator delete", "4": "operator=", "5": "operator>>",
    "6": "operator<<", "7": "operator!", "8": "operator==", "9": "operator!=", "A": "operator[]",
    "C": "operator->", "D": "operator*", "E": "operator++", "F": "operator--", "G": "operator-",
    "H": "operator+", "I": "operator&", "J": "operator->*", "K": "operator/", "L": "operator%",
    "M": "operator<", "N": "operator<=", "O": "operator>", "P": "operator>=", "Q": "operator,",
    "R": "operator()", "S": "operator~", "T": "operator^", "U": "operator|", "V": "operator&&",
    "W": "operator||", "X": "operator*=", "Y": "operator+=", "Z": "operator-=",
  ])

  /// `?_x` names: llvm-undname abbreviates the generated ones (`dtor`); WinDbg and DIA spell
  /// them out as the MSVC runtime's own undecorator does (`destructor`).
  private static let underscoreOperators = intrinsics([
    "0": ("operator/=", nil), "1": ("operator%=", nil), "2": ("operator>>=", nil),
    "3": ("operator<<=", nil), "4": ("operator&=", nil), "5": ("operator|=", nil),
    "6": ("operator^=", nil), "D": ("`vbase dtor'", "`vbase destructor'"),
    "E": ("`vector deleting dtor'", "`vector deleting destructor'"),
    "F": ("`default ctor closure'", "`default constructor closure'"),
    "G": ("`scalar deleting dtor'", "`scalar deleting destructor'"),
    "H": ("`vector ctor iterator'", "`vector constructor iterator'"),
    "I": ("`vector dtor iterator'", "`vector destructor iterator'"),
    "J": ("`vector vbase ctor iterator'", "`vector vbase constructor iterator'"),
    "K": ("`virtual displacement map'", nil),
    "L": ("`eh vector ctor iterator'", "`eh vector constructor iterator'"),
    "M": ("`eh vector dtor iterator'", "`eh vector destructor iterator'"),
    "N": ("`eh vector vbase ctor iterator'", "`eh vector vbase constructor iterator'"),
    "O": ("`copy ctor closure'", "`copy constructor closure'"),
    "T": ("`local vftable ctor closure'", "`local vftable constructor closure'"),
    "U": ("operator new[]", nil), "V": ("operator delete[]", nil),
    // The runtime's undecorator knows these two; llvm-undname does not.
    "X": ("`placement delete closure'", nil), "Y": ("`placement delete[] closure'", nil),
  ])

  private static let doubleUnderscoreOperators = intrinsics([
    "A": ("`managed vector ctor iterator'", "`managed vector constructor iterator'"),
    "B": ("`managed vector dtor iterator'", "`managed vector destructor iterator'"),
    "C": ("`EH vector copy ctor iterator'", "`eh vector copy constructor iterator'"),
    "D": ("`EH vector vbase copy ctor iterator'", "`eh vector vbase copy constructor iterator'"),
    "G": ("`vector copy ctor iterator'", "`vector copy constructor iterator'"),
    "H": ("`vector vbase copy constructor iterator'", nil),
    "I": ("`managed vector vbase copy constructor iterator'", nil),
    "L": ("operator co_await", nil), "M": ("operator<=>", nil),
  ])

  /// Both spellings of each name; `nil` where WinDbg's is llvm-undname's.
  private static func intrinsics(_ entries: KeyValuePairs<Character, (String, String?)>)
    -> [UInt8: MSVCSyntax.Intrinsic]
  {
    letters(entries).mapValues {
      MSVCSyntax.Intrinsic(declaration: $0.0, windbg: $0.1 ?? $0.0)
    }
  }

  /// cv-qualifier letters: `A`–`D` plain, `Q`–`T` the same for a member; `nil` for others.
  mutating func qualifiers() -> (MSVCSyntax.Qualifiers, member: Bool)? {
    guard let code = take() else { return nil }
    switch code {
    case UInt8(ascii: "A"): return ([], false)
    case UInt8(ascii: "B"): return (.const, false)
    case UInt8(ascii: "C"): return (.volatile, false)
    case UInt8(ascii: "D"): return ([.const, .volatile], false)
    case UInt8(ascii: "Q"): return ([], true)
    case UInt8(ascii: "R"): return (.const, true)
    case UInt8(ascii: "S"): return (.volatile, true)
    case UInt8(ascii: "T"): return ([.const, .volatile], true)
    default: return nil
    }
  }

  /// `E` (`__ptr64`), `I` (`__restrict`), `F` (`__unaligned`), in that order, each optional.
  mutating func pointerExtensions() -> MSVCSyntax.Qualifiers {
    var qualifiers: MSVCSyntax.Qualifiers = []
    if consume("E") { qualifiers.insert(.pointer64) }
    if consume("I") { qualifiers.insert(.restrict) }
    if consume("F") { qualifiers.insert(.unaligned) }
    return qualifiers
  }
}
