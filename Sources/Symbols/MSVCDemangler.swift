import Foundation

/// Undecorates Microsoft C++ ("MSVC") mangled names, the `?…` names of PDB publics.
///
/// `text` is the full declaration in the form `llvm-undname` prints it (access, storage,
/// return type, calling convention, parameters, cv of `this`); `name` is the qualified name alone
/// as WinDbg shows it in a frame (`std::exception::what`, ``C::`scalar deleting destructor'``).
/// Mangling facts: the Microsoft C++ name-mangling scheme as documented by LLVM
/// (`llvm/lib/Demangle/MicrosoftDemangle.cpp` grammar comments, "MicrosoftMangle" notes) and
/// Agner Fog's "Calling conventions" §8; the output follows llvm-undname's, checked name by name
/// against it (Tests/SymbolsTests/MSVCDemanglerTests.swift). String literals (`??_C@_…`) are
/// named ``"`string'"`` in both forms, as WinDbg and DIA name them (llvm-undname decodes the
/// text instead). Every read is bounded; nesting is limited to 64 levels; every printed part is
/// capped at 16 KiB; an input that does not follow the grammar gives `nil`, never a trap.
public struct MSVCDemangler {
  /// One undecorated name.
  public struct Demangled: Sendable, Equatable {
    /// The full declaration, `llvm-undname` style.
    public var text: String
    /// The qualified name, WinDbg style.
    public var name: String
    /// Functions: the name with its parameters as DIA prints them in breakpad's `.sym` FUNC
    /// records (`google_breakpad::C::h(google_breakpad::C const &)`: no return type, calling
    /// convention, access or class keywords; `(void)` is `()`; pointers spaced `char * *`).
    public var signature: String?
  }

  /// DIA's spelling of a parameter list.
  static func diaParameters(_ list: String) -> String {
    guard list != "void" else { return "" }
    // Keywords only where a type starts (`localeinfo_struct` keeps its name).
    let text = list.replacingOccurrences(
      of: #"(^|[(<, ])(class|struct|union|enum) "#, with: "$1", options: .regularExpression)
    var out = ""
    var previous: Character?
    for character in text {
      if let previous, previous == "*" || previous == "&", character == "*" || character == "&" {
        out.append(" ")
      }
      out.append(character)
      previous = character
    }
    return out
  }

  /// Undecorates `mangled`, or `nil` when it is not a (supported) MSVC mangled name.
  public static func demangle(_ mangled: String) -> Demangled? {
    // MSVC replaces names longer than 4096 bytes by their MD5 (`??@…@`), so a longer one is not
    // MSVC's; refusing it bounds all the work below.
    guard mangled.hasPrefix("?"), mangled.utf8.count <= 4096 else { return nil }
    var parser = MSVCDemangler(Array(mangled.utf8))
    guard let symbol = parser.parse(), parser.index == parser.input.count else { return nil }
    guard
      let text = MSVCSyntaxPrinter.render(style: .declaration, { $0.symbol(symbol) }),
      let name = MSVCSyntaxPrinter.render(style: .windbg, { $0.symbolName(symbol) })
    else { return nil }
    var signature: String?
    if case .function(_, let function) = symbol, !function.functionClass.contains(.noParameterList)
    {
      guard
        let list = MSVCSyntaxPrinter.render(style: .declaration, { $0.parameterList(function) })
      else { return nil }
      signature = "\(name)(\(diaParameters(list)))"
    }
    return Demangled(text: text, name: name, signature: signature)
  }

  /// The longest text any part may become. Backreferences copy earlier parts, so without a cap
  /// nested templates double their text at every level (a 200-byte name could ask for gigabytes).
  static let maxText = 16_384

  let input: [UInt8]
  var index = 0
  var depth = 0
  /// Backreferences `0`–`9` to names: each with its text, which decides whether a name is new.
  var names: [(text: String, identifier: MSVCSyntax.Identifier)] = []
  /// Backreferences `0`–`9` to function parameter types longer than one character.
  var parameters: [MSVCSyntax.TypeNode] = []

  private init(_ input: [UInt8]) { self.input = input }

  // MARK: input

  var peek: UInt8? { index < input.count ? input[index] : nil }

  mutating func take() -> UInt8? {
    guard index < input.count else { return nil }
    defer { index += 1 }
    return input[index]
  }

  func starts(with text: StaticString) -> Bool {
    let count = text.utf8CodeUnitCount
    let start = index
    guard start + count <= input.count else { return false }
    return text.withUTF8Buffer { bytes in
      bytes.indices.allSatisfy { input[start + $0] == bytes[$0] }
    }
  }

  mutating func consume(_ text: StaticString) -> Bool {
    guard starts(with: text) else { return false }
    index += text.utf8CodeUnitCount
    return true
  }

  /// A table keyed by the ASCII letter that encodes each entry.
  static func letters<Value>(_ entries: KeyValuePairs<Character, Value>) -> [UInt8: Value] {
    var table: [UInt8: Value] = [:]
    for (letter, value) in entries {
      if let byte = letter.asciiValue { table[byte] = value }
    }
    return table
  }

  static func isDigit(_ byte: UInt8?) -> Bool {
    guard let byte else { return false }
    return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
  }

  /// Every nested read goes through here, so a hostile name cannot recurse without limit.
  mutating func enter() -> Bool {
    depth += 1
    return depth <= 64
  }

  mutating func leave() { depth -= 1 }

  // MARK: numbers

  /// A number: `0`–`9` mean 1–10; otherwise hex digits `A`–`P` ended by `@` (`@` alone is 0);
  /// a leading `?` negates.
  mutating func number() -> (value: UInt64, negative: Bool)? {
    let negative = consume("?")
    guard let first = take() else { return nil }
    if first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") {
      return (UInt64(first - UInt8(ascii: "0")) + 1, negative)
    }
    var value: UInt64 = 0
    var byte = first
    var digits = 0
    while byte != UInt8(ascii: "@") {
      // 16 digits fill 64 bits; more would wrap.
      guard byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "P"), digits < 16, let next = take()
      else { return nil }
      value = value << 4 | UInt64(byte - UInt8(ascii: "A"))
      digits += 1
      byte = next
    }
    return (value, negative)
  }

  mutating func unsigned() -> UInt64? {
    guard let (value, negative) = number(), !negative else { return nil }
    return value
  }

  mutating func signed() -> Int64? {
    guard let (value, negative) = number(), value <= UInt64(Int64.max) else { return nil }
    return negative ? -Int64(value) : Int64(value)
  }

  // MARK: symbols

  /// A whole decorated name: `?` and a name with its encoding, a compiler-generated table or
  /// descriptor, a string literal, or an MD5 name.
  mutating func parse() -> MSVCSyntax.Symbol? {
    guard enter() else { return nil }
    defer { leave() }
    if starts(with: "??@") { return md5Name() }
    guard consume("?") else { return nil }
    if let special = specialName() { return special.symbol }
    return declarator()
  }

  /// `??@<md5>@`, and `??@<md5>@??_R4@` for the complete object locator of a hashed class.
  private mutating func md5Name() -> MSVCSyntax.Symbol? {
    let start = index
    index += 3
    while let byte = peek, byte != UInt8(ascii: "@") {
      guard byte > 0x20, byte < 0x7F else { return nil }
      index += 1
    }
    guard consume("@") else { return nil }
    _ = consume("??_R4@")
    return .md5(String(decoding: input[start..<index], as: UTF8.self))
  }

  /// The result of reading a compiler-generated name: `symbol` is `nil` when one was announced
  /// but did not follow the grammar.
  struct Special {
    var symbol: MSVCSyntax.Symbol?
  }

  /// Names that are not a declarator: tables, RTTI, guards, thunks, initializers, literals.
  private mutating func specialName() -> Special? {
    if consume("?_7") { return Special(symbol: table("`vftable'")) }
    if consume("?_8") { return Special(symbol: table("`vbtable'")) }
    if consume("?_9") { return Special(symbol: vcallThunk()) }
    // `?_A` (typeof) and `?_P` (udt returning) have no known producer and no known layout.
    if consume("?_A") || consume("?_P") { return Special(symbol: nil) }
    if consume("?_B") { return Special(symbol: localStaticGuard(thread: false)) }
    if consume("?_C") { return Special(symbol: stringLiteral()) }
    if consume("?_R0") {
      guard let type = type(.result), consume("@8"), peek == nil else { return Special() }
      return Special(symbol: .typeDescriptor(type, "`RTTI Type Descriptor'"))
    }
    if consume("?_R1") {
      guard let offset = unsigned(), let vbptr = signed(), let vbtable = unsigned(),
        let flags = unsigned(),
        let name = nameScopeChain(.baseClassDescriptor(offset, vbptr, vbtable, flags))
      else { return Special() }
      _ = consume("8")
      return Special(symbol: .variable(name, .none, nil))
    }
    for (code, label): (StaticString, String) in [
      ("?_R2", "`RTTI Base Class Array'"), ("?_R3", "`RTTI Class Hierarchy Descriptor'"),
    ] where consume(code) {
      guard let name = nameScopeChain(.named(label, nil)), consume("8") else { return Special() }
      return Special(symbol: .variable(name, .none, nil))
    }
    if consume("?_R4") { return Special(symbol: table("`RTTI Complete Object Locator'")) }
    if consume("?_S") { return Special(symbol: table("`local vftable'")) }
    if consume("?__E") { return Special(symbol: initializer(destructor: false)) }
    if consume("?__F") { return Special(symbol: initializer(destructor: true)) }
    if consume("?__J") { return Special(symbol: localStaticGuard(thread: true)) }
    return nil
  }

  /// vftables, vbtables, complete object locators: the class, `6`/`7`, the table's qualifiers,
  /// then the bases it is `{for …}`, up to `@`.
  private mutating func table(_ label: String) -> MSVCSyntax.Symbol? {
    guard let name = nameScopeChain(.named(label, nil)), let code = take(),
      code == UInt8(ascii: "6") || code == UInt8(ascii: "7"), let (qualifiers, _) = qualifiers()
    else { return nil }
    var targets: [MSVCSyntax.QualifiedName] = []
    while !consume("@") {
      guard peek != nil, targets.count < 64, let target = fullyQualifiedTypeName() else {
        return nil
      }
      targets.append(target)
    }
    return .table(name, qualifiers, targets)
  }

  /// `??_9<class>$B<offset>A<convention>`: a thunk that calls the virtual function at an offset.
  private mutating func vcallThunk() -> MSVCSyntax.Symbol? {
    guard var name = nameScopeChain(.vcall(0)), consume("$B"), let offset = unsigned(),
      consume("A"), let code = take()
    else { return nil }
    name.components[name.components.count - 1] = .vcall(offset)
    var signature = MSVCSyntax.Signature()
    signature.functionClass = .noParameterList
    signature.convention = Self.conventions[code]
    signature.isThunk = true
    return .function(name, signature)
  }

  /// `??_B` / `??__J<scope>@5<n>`: the guard of a function's local statics.
  private mutating func localStaticGuard(thread: Bool) -> MSVCSyntax.Symbol? {
    guard var name = nameScopeChain(.localStaticGuard(thread: thread, scope: 0)) else {
      return nil
    }
    guard consume("4IA") || consume("5") else { return nil }
    if peek != nil {
      guard let scope = unsigned() else { return nil }
      name.components[name.components.count - 1] = .localStaticGuard(thread: thread, scope: scope)
    }
    return .guardVariable(name)
  }

  /// `??__E` / `??__F`: the function that constructs or destroys a global, named after the
  /// variable (`?x@@3HA@@YAXXZ`, its full symbol) or after the global's name alone.
  private mutating func initializer(destructor: Bool) -> MSVCSyntax.Symbol? {
    let staticMember = consume("?")
    guard let inner = declarator() else { return nil }
    switch inner {
    case .variable:
      // Older clang wrote one `@` where MSVC writes two.
      for _ in 0..<(staticMember ? 2 : 1) {
        guard consume("@") else { return nil }
      }
      guard let signature = functionEncoding() else { return nil }
      let identifier = MSVCSyntax.Identifier.dynamicStructor(
        destructor: destructor, variable: inner, name: nil)
      return .function(MSVCSyntax.QualifiedName(components: [identifier]), signature)
    case .function(let name, let signature):
      guard !staticMember else { return nil }
      let identifier = MSVCSyntax.Identifier.dynamicStructor(
        destructor: destructor, variable: nil, name: name)
      return .function(MSVCSyntax.QualifiedName(components: [identifier]), signature)
    default:
      return nil
    }
  }

  /// `??_C@_<width><length><crc>@<bytes>@`: read to its end so a malformed one is refused, but
  /// named `` `string' `` as WinDbg and DIA name it.
  private mutating func stringLiteral() -> MSVCSyntax.Symbol? {
    guard consume("@_"), let width = take(),
      width == UInt8(ascii: "0") || width == UInt8(ascii: "1")
    else { return nil }
    let wide = width == UInt8(ascii: "1")
    guard let (length, negative) = number(), !negative, length >= (wide ? 2 : 1) else {
      return nil
    }
    // The CRC of the whole literal, then at most 32 bytes of it.
    while let byte = peek, byte != UInt8(ascii: "@") { index += 1 }
    guard consume("@"), peek != nil else { return nil }
    var bytes = 0
    while !consume("@") {
      guard bytes < 128, literalCharacter() else { return nil }
      bytes += 1
    }
    if wide && bytes % 2 != 0 { return nil }
    return .stringLiteral
  }

  /// One byte of a literal: itself, or `?` and an escape (`?$AA` hex, `?0`–`?9` punctuation,
  /// `?a`/`?A` for accented letters).
  private mutating func literalCharacter() -> Bool {
    guard let byte = take() else { return false }
    guard byte == UInt8(ascii: "?") else { return true }
    guard let code = take() else { return false }
    if code == UInt8(ascii: "$") {
      guard let high = take(), let low = take() else { return false }
      return [high, low].allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "P") }
    }
    return Self.isDigit(code) || (code >= UInt8(ascii: "a") && code <= UInt8(ascii: "z"))
      || (code >= UInt8(ascii: "A") && code <= UInt8(ascii: "Z"))
  }

  /// A qualified name and its encoding: data (storage class `0`–`4`) or a function.
  mutating func declarator() -> MSVCSyntax.Symbol? {
    guard var name = fullyQualifiedSymbolName(), let code = peek else { return nil }
    if code >= UInt8(ascii: "0") && code <= UInt8(ascii: "4") {
      index += 1
      let storage: MSVCSyntax.Storage =
        switch code {
        case UInt8(ascii: "0"): .privateStatic
        case UInt8(ascii: "1"): .protectedStatic
        case UInt8(ascii: "2"): .publicStatic
        case UInt8(ascii: "3"): .global
        default: .functionLocal
        }
      // A conversion operator names a function; as data it has no type to convert to.
      if case .conversion? = name.components.last { return nil }
      guard let type = variableType() else { return nil }
      return .variable(name, storage, type)
    }
    guard let signature = functionEncoding() else { return nil }
    if case .conversion(_, let arguments)? = name.components.last {
      guard let target = signature.returnType else { return nil }
      name.components[name.components.count - 1] = .conversion(target, arguments)
    }
    return .function(name, signature)
  }

  /// A variable's type, then its qualifiers: on a pointer they qualify the pointee.
  private mutating func variableType() -> MSVCSyntax.TypeNode? {
    guard let type = type(.drop) else { return nil }
    guard case .pointer(var pointer) = type else {
      guard let (qualifiers, _) = qualifiers() else { return nil }
      return type.adding(qualifiers)
    }
    pointer.qualifiers.formUnion(pointerExtensions())
    guard let (pointee, _) = qualifiers() else { return nil }
    // A member pointer names its class again; the first naming already printed it.
    if pointer.owner != nil {
      guard fullyQualifiedTypeName() != nil else { return nil }
    }
    pointer.pointee = pointer.pointee.adding(pointee)
    return .pointer(pointer)
  }

  /// The function-class letter, thunk adjustments, then the function type.
  mutating func functionEncoding() -> MSVCSyntax.Signature? {
    typealias Class = MSVCSyntax.FunctionClass
    var extra: Class = []
    if consume("$$J0") { extra = .externC }
    guard var functionClass = functionClass() else { return nil }
    functionClass.formUnion(extra)
    var adjustment = MSVCSyntax.ThisAdjustment()
    var isThunk = false
    if functionClass.contains(.staticThisAdjust) {
      guard let offset = signed() else { return nil }
      adjustment.staticOffset = UInt32(truncatingIfNeeded: offset)
      isThunk = true
    } else if functionClass.contains(.virtualThisAdjust) {
      if functionClass.contains(.virtualThisAdjustEx) {
        guard let vbptr = signed(), let vboffset = signed() else { return nil }
        adjustment.vbptrOffset = Int32(truncatingIfNeeded: vbptr)
        adjustment.vboffsetOffset = Int32(truncatingIfNeeded: vboffset)
      }
      guard let vtordisp = signed(), let offset = signed() else { return nil }
      adjustment.vtordispOffset = Int32(truncatingIfNeeded: vtordisp)
      adjustment.staticOffset = UInt32(truncatingIfNeeded: offset)
      isThunk = true
    }
    var signature = MSVCSyntax.Signature()
    if !functionClass.contains(.noParameterList) {
      let hasThis = functionClass.isDisjoint(with: [.global, .isStatic])
      guard let type = functionType(hasThis: hasThis) else { return nil }
      signature = type
    }
    signature.functionClass = functionClass
    signature.isThunk = isThunk
    signature.adjustment = adjustment
    return signature
  }

  /// Access, static, virtual and thunk kind from one letter (or `$` and a digit for vtordisp
  /// thunks).
  private mutating func functionClass() -> MSVCSyntax.FunctionClass? {
    typealias Class = MSVCSyntax.FunctionClass
    guard let code = take() else { return nil }
    switch code {
    case UInt8(ascii: "9"): return [.externC, .noParameterList]
    case UInt8(ascii: "A"), UInt8(ascii: "B"): return .isPrivate
    case UInt8(ascii: "C"), UInt8(ascii: "D"): return [.isPrivate, .isStatic]
    case UInt8(ascii: "E"), UInt8(ascii: "F"): return [.isPrivate, .isVirtual]
    case UInt8(ascii: "G"), UInt8(ascii: "H"): return [.isPrivate, .staticThisAdjust]
    case UInt8(ascii: "I"), UInt8(ascii: "J"): return .isProtected
    case UInt8(ascii: "K"), UInt8(ascii: "L"): return [.isProtected, .isStatic]
    case UInt8(ascii: "M"), UInt8(ascii: "N"): return [.isProtected, .isVirtual]
    case UInt8(ascii: "O"), UInt8(ascii: "P"): return [.isProtected, .isVirtual, .staticThisAdjust]
    case UInt8(ascii: "Q"), UInt8(ascii: "R"): return .isPublic
    case UInt8(ascii: "S"), UInt8(ascii: "T"): return [.isPublic, .isStatic]
    case UInt8(ascii: "U"), UInt8(ascii: "V"): return [.isPublic, .isVirtual]
    case UInt8(ascii: "W"), UInt8(ascii: "X"): return [.isPublic, .isVirtual, .staticThisAdjust]
    case UInt8(ascii: "Y"), UInt8(ascii: "Z"): return .global
    case UInt8(ascii: "$"):
      var thunk: Class = .virtualThisAdjust
      if consume("R") { thunk.insert(.virtualThisAdjustEx) }
      switch take() {
      case UInt8(ascii: "0"), UInt8(ascii: "1"): return thunk.union([.isPrivate, .isVirtual])
      case UInt8(ascii: "2"), UInt8(ascii: "3"): return thunk.union([.isProtected, .isVirtual])
      case UInt8(ascii: "4"), UInt8(ascii: "5"): return thunk.union([.isPublic, .isVirtual])
      default: return nil
      }
    default: return nil
    }
  }
}
