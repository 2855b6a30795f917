import Foundation

/// Undecorates Microsoft C++ ("MSVC") mangled names, the `?…` names of PDB publics.
///
/// `text` is the full declaration in the form `llvm-undname` prints it (access, storage,
/// return type, calling convention, parameters, cv of `this`); `name` is the qualified name alone
/// as WinDbg shows it in a frame (`std::exception::what`, ``C::`scalar deleting destructor'``).
/// Mangling facts: the Microsoft C++ name-mangling scheme as documented by LLVM
/// (`llvm/lib/Demangle/MicrosoftDemangle.cpp` comments, "MicrosoftMangle" notes) and Agner Fog's
/// "Calling conventions" §8. String literals (`??_C@_…`) are named ``"`string'"``, as WinDbg and
/// DIA name them. Every read is bounded; nesting is limited to 64 levels; an input that does not
/// follow the grammar gives `nil`, never a trap.
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
    guard mangled.hasPrefix("?"), mangled.utf8.count <= 4096 else { return nil }
    var parser = MSVCDemangler(Array(mangled.utf8))
    return parser.symbol()
  }

  /// A type split around where a declarator goes: `left + name + right` (function pointers put
  /// the name inside: `int (__cdecl *` + name + `)(long)`).
  struct TypeText {
    var left: String
    var right = ""

    func declaring(_ name: String) -> String {
      guard !name.isEmpty else { return left + right }
      if right.isEmpty {
        let last = left.last
        return left + (last == "*" || last == "&" ? "" : " ") + name
      }
      return left + name + right
    }

    var plain: String { left + right }
  }

  private let input: [UInt8]
  /// The longest text any part may become. Backreferences copy earlier parts, so without a cap
  /// nested templates double their text at every level (a 200-byte name could ask for gigabytes).
  static let maxText = 16_384
  private var index = 0
  private var depth = 0
  /// Backreferences `0`–`9`: simple names, and parameter types longer than one character.
  private var names: [String] = []
  private var parameters: [TypeText] = []

  private init(_ input: [UInt8]) { self.input = input }

  // MARK: input

  private var peek: UInt8? { index < input.count ? input[index] : nil }

  private mutating func take() -> UInt8? {
    guard index < input.count else { return nil }
    defer { index += 1 }
    return input[index]
  }

  private mutating func consume(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard index + bytes.count <= input.count, Array(input[index..<(index + bytes.count)]) == bytes
    else { return false }
    index += bytes.count
    return true
  }

  private mutating func enter() -> Bool {
    depth += 1
    return depth <= 64
  }

  private mutating func leave() { depth -= 1 }

  /// A number: `0`–`9` mean 1–10; otherwise hex digits `A`–`P` ended by `@`; `?` negates.
  private mutating func number() -> Int64? {
    let negative = consume("?")
    guard let first = take() else { return nil }
    var value: Int64
    if first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") {
      value = Int64(first - UInt8(ascii: "0")) + 1
    } else {
      value = 0
      var byte = first
      var digits = 0
      while byte != UInt8(ascii: "@") {
        guard byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "P"), digits < 16,
          let next = take()
        else { return nil }
        value = value &* 16 &+ Int64(byte - UInt8(ascii: "A"))
        digits += 1
        byte = next
      }
    }
    return negative ? -value : value
  }

  /// An identifier ended by `@`.
  private mutating func simpleName() -> String? {
    let start = index
    while let byte = peek, byte != UInt8(ascii: "@") {
      guard byte >= 0x20, byte < 0x7F else { return nil }
      index += 1
    }
    guard index > start, consume("@") else { return nil }
    return String(decoding: input[start..<(index - 1)], as: UTF8.self)
  }

  private mutating func remember(_ name: String) {
    if names.count < 10 && !names.contains(name) { names.append(name) }
  }

  // MARK: names

  /// One fragment of a qualified name: a backreference, a simple name, a template, or (first
  /// fragment only) an operator or special name. Returns the text and, for ctors/dtors, a marker.
  private enum Fragment {
    case plain(String)
    case constructor
    case destructor
    case conversion
  }

  private mutating func fragment(first: Bool) -> Fragment? {
    guard let byte = peek else { return nil }
    if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
      index += 1
      let slot = Int(byte - UInt8(ascii: "0"))
      return slot < names.count ? .plain(names[slot]) : nil
    }
    // A template as a symbol's own name is not remembered; as a scope or type name it is.
    if consume("?$") { return templateName(memorize: !first).map(Fragment.plain) }
    if byte == UInt8(ascii: "?") {
      if first {
        index += 1
        return specialName()
      }
      index += 1
      if consume("A0x") {
        // Anonymous namespace: `?A0x<hex>@`.
        guard simpleName() != nil else { return nil }
        return .plain("`anonymous namespace'")
      }
      if consume("?") {
        // A function whose local this name is: `?<symbol>` nested in the name.
        let saved = names
        defer { names = saved }
        guard let nested = symbolBody() else { return nil }
        return .plain("`\(nested.text)'")
      }
      // A numbered scope `?<n>` (a block inside a function).
      guard let scope = number() else { return nil }
      return .plain("`\(scope)'")
    }
    guard let name = simpleName() else { return nil }
    remember(name)
    return .plain(name)
  }

  /// `?$name@args@`: a template instantiation, with its own backreference scope.
  private mutating func templateName(memorize: Bool = true) -> String? {
    guard enter() else { return nil }
    defer { leave() }
    let saved = (names, parameters)
    names = []
    parameters = []
    var base: String?
    if consume("?") {
      // A templated operator (`??$?6…`): only plain operators are supported.
      if case .plain(let text)? = specialName() { base = text }
    } else {
      base = simpleName()
    }
    guard let base, base.count < 4096 else {
      (names, parameters) = saved
      return nil
    }
    remember(base)
    var arguments: [String] = []
    while !consume("@") {
      guard peek != nil, arguments.count < 64, let argument = templateArgument() else {
        (names, parameters) = saved
        return nil
      }
      if let argument = argument.isEmpty ? nil : argument { arguments.append(argument) }
    }
    (names, parameters) = saved
    let text = "\(base)<\(arguments.joined(separator: ", "))>"
    guard text.utf8.count <= Self.maxText else { return nil }
    if memorize { remember(text) }
    return text
  }

  private mutating func templateArgument() -> String? {
    if consume("$$V") || consume("$$$V") || consume("$S") { return "" }
    if consume("$0") { return number().map { String($0) } }
    if consume("$1") {
      guard consume("?"), let inner = symbolBody() else { return nil }
      return "&" + inner.name
    }
    if consume("$$T") { return "std::nullptr_t" }
    return parameterType().map(\.plain)
  }

  /// The name after a leading `?` in a name position: an operator, a constructor, a destructor or
  /// a compiler-generated name.
  private mutating func specialName() -> Fragment? {
    guard let code = take() else { return nil }
    let operators: [UInt8: String] = [
      UInt8(ascii: "2"): "operator new", UInt8(ascii: "3"): "operator delete",
      UInt8(ascii: "4"): "operator=", UInt8(ascii: "5"): "operator>>",
      UInt8(ascii: "6"): "operator<<", UInt8(ascii: "7"): "operator!",
      UInt8(ascii: "8"): "operator==", UInt8(ascii: "9"): "operator!=",
      UInt8(ascii: "A"): "operator[]", UInt8(ascii: "C"): "operator->",
      UInt8(ascii: "D"): "operator*", UInt8(ascii: "E"): "operator++",
      UInt8(ascii: "F"): "operator--", UInt8(ascii: "G"): "operator-",
      UInt8(ascii: "H"): "operator+", UInt8(ascii: "I"): "operator&",
      UInt8(ascii: "J"): "operator->*", UInt8(ascii: "K"): "operator/",
      UInt8(ascii: "L"): "operator%", UInt8(ascii: "M"): "operator<",
      UInt8(ascii: "N"): "operator<=", UInt8(ascii: "O"): "operator>",
      UInt8(ascii: "P"): "operator>=", UInt8(ascii: "Q"): "operator,",
      UInt8(ascii: "R"): "operator()", UInt8(ascii: "S"): "operator~",
      UInt8(ascii: "T"): "operator^", UInt8(ascii: "U"): "operator|",
      UInt8(ascii: "V"): "operator&&", UInt8(ascii: "W"): "operator||",
      UInt8(ascii: "X"): "operator*=", UInt8(ascii: "Y"): "operator+=",
      UInt8(ascii: "Z"): "operator-=",
    ]
    switch code {
    case UInt8(ascii: "0"): return .constructor
    case UInt8(ascii: "1"): return .destructor
    case UInt8(ascii: "B"): return .conversion
    case UInt8(ascii: "_"):
      guard let second = take() else { return nil }
      let generated: [UInt8: String] = [
        UInt8(ascii: "0"): "operator/=", UInt8(ascii: "1"): "operator%=",
        UInt8(ascii: "2"): "operator>>=", UInt8(ascii: "3"): "operator<<=",
        UInt8(ascii: "4"): "operator&=", UInt8(ascii: "5"): "operator|=",
        UInt8(ascii: "6"): "operator^=", UInt8(ascii: "7"): "`vftable'",
        UInt8(ascii: "8"): "`vbtable'", UInt8(ascii: "9"): "`vcall'",
        UInt8(ascii: "A"): "`typeof'", UInt8(ascii: "B"): "`local static guard'",
        UInt8(ascii: "D"): "`vbase dtor'", UInt8(ascii: "E"): "`vector deleting dtor'",
        UInt8(ascii: "F"): "`default ctor closure'", UInt8(ascii: "G"): "`scalar deleting dtor'",
        UInt8(ascii: "H"): "`vector ctor iterator'", UInt8(ascii: "I"): "`vector dtor iterator'",
        UInt8(ascii: "J"): "`vector vbase ctor iterator'",
        UInt8(ascii: "K"): "`virtual displacement map'",
        UInt8(ascii: "L"): "`eh vector ctor iterator'",
        UInt8(ascii: "M"): "`eh vector dtor iterator'",
        UInt8(ascii: "N"): "`eh vector vbase ctor iterator'",
        UInt8(ascii: "O"): "`copy ctor closure'", UInt8(ascii: "S"): "`local vftable'",
        UInt8(ascii: "T"): "`local vftable ctor closure'", UInt8(ascii: "U"): "operator new[]",
        UInt8(ascii: "V"): "operator delete[]", UInt8(ascii: "X"): "`placement delete closure'",
        UInt8(ascii: "Y"): "`placement delete[] closure'",
      ]
      return generated[second].map(Fragment.plain)
    default:
      return operators[code].map(Fragment.plain)
    }
  }

  /// A qualified name: fragments up to `@`, innermost first; printed outermost first.
  private mutating func qualifiedName() -> (name: String, kind: Fragment)? {
    guard enter() else { return nil }
    defer { leave() }
    guard let first = fragment(first: true) else { return nil }
    var scopes: [String] = []
    while !consume("@") {
      guard peek != nil, scopes.count < 64, case .plain(let scope)? = fragment(first: false) else {
        return nil
      }
      scopes.append(scope)
    }
    let outer = scopes.reversed().joined(separator: "::")
    guard outer.utf8.count <= Self.maxText else { return nil }
    let prefix = outer.isEmpty ? "" : outer + "::"
    switch first {
    case .plain(let text): return (prefix + text, first)
    case .constructor, .destructor:
      guard let owner = scopes.first else { return nil }
      let tilde = if case .destructor = first { "~" } else { "" }
      return (prefix + tilde + owner, first)
    case .conversion: return (prefix + "operator", first)
    }
  }

  /// A qualified name in a type (no operators): fragments up to `@`.
  private mutating func typeName() -> String? {
    guard enter() else { return nil }
    defer { leave() }
    var parts: [String] = []
    repeat {
      guard peek != nil, parts.count < 64, case .plain(let part)? = fragment(first: false) else {
        return nil
      }
      parts.append(part)
    } while !consume("@")
    let text = parts.reversed().joined(separator: "::")
    return text.utf8.count <= Self.maxText ? text : nil
  }

  // MARK: types

  private static let primitives: [UInt8: String] = [
    UInt8(ascii: "C"): "signed char", UInt8(ascii: "D"): "char",
    UInt8(ascii: "E"): "unsigned char", UInt8(ascii: "F"): "short",
    UInt8(ascii: "G"): "unsigned short", UInt8(ascii: "H"): "int",
    UInt8(ascii: "I"): "unsigned int", UInt8(ascii: "J"): "long",
    UInt8(ascii: "K"): "unsigned long", UInt8(ascii: "M"): "float",
    UInt8(ascii: "N"): "double", UInt8(ascii: "O"): "long double", UInt8(ascii: "X"): "void",
  ]

  private static let extendedPrimitives: [UInt8: String] = [
    UInt8(ascii: "D"): "__int8", UInt8(ascii: "E"): "unsigned __int8",
    UInt8(ascii: "F"): "__int16", UInt8(ascii: "G"): "unsigned __int16",
    UInt8(ascii: "H"): "__int32", UInt8(ascii: "I"): "unsigned __int32",
    UInt8(ascii: "J"): "__int64", UInt8(ascii: "K"): "unsigned __int64",
    UInt8(ascii: "L"): "__int128", UInt8(ascii: "M"): "unsigned __int128",
    UInt8(ascii: "N"): "bool", UInt8(ascii: "Q"): "char8_t", UInt8(ascii: "S"): "char16_t",
    UInt8(ascii: "U"): "char32_t", UInt8(ascii: "W"): "wchar_t",
  ]

  /// cv-qualifier letters `A`–`D` after a pointer or as storage: "", "const", "volatile", both.
  private static func qualifiers(_ code: UInt8) -> String? {
    switch code {
    case UInt8(ascii: "A"), UInt8(ascii: "Q"), UInt8(ascii: "U"): return ""
    case UInt8(ascii: "B"), UInt8(ascii: "R"), UInt8(ascii: "V"): return "const"
    case UInt8(ascii: "C"), UInt8(ascii: "S"), UInt8(ascii: "W"): return "volatile"
    case UInt8(ascii: "D"), UInt8(ascii: "T"), UInt8(ascii: "X"): return "const volatile"
    default: return nil
    }
  }

  /// Skips the `E` (__ptr64), `I` (__restrict) and `F` (__unaligned) modifiers, which
  /// llvm-undname does not print by default.
  private mutating func skipPointerModifiers() {
    while let byte = peek,
      byte == UInt8(ascii: "E") || byte == UInt8(ascii: "I") || byte == UInt8(ascii: "F")
    {
      index += 1
    }
  }

  /// A function parameter (or template argument) type, with backreferences.
  private mutating func parameterType() -> TypeText? {
    guard let byte = peek else { return nil }
    if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
      index += 1
      let slot = Int(byte - UInt8(ascii: "0"))
      return slot < parameters.count ? parameters[slot] : nil
    }
    let start = index
    guard let type = type() else { return nil }
    if index - start > 1 && parameters.count < 10 { parameters.append(type) }
    return type
  }

  /// Any type.
  private mutating func type() -> TypeText? {
    guard enter() else { return nil }
    defer { leave() }
    guard let code = take() else { return nil }
    if let primitive = Self.primitives[code] { return TypeText(left: primitive) }
    switch code {
    case UInt8(ascii: "_"):
      guard let second = take(), let name = Self.extendedPrimitives[second] else { return nil }
      return TypeText(left: name)
    case UInt8(ascii: "T"), UInt8(ascii: "U"), UInt8(ascii: "V"):
      let keyword =
        code == UInt8(ascii: "T") ? "union" : code == UInt8(ascii: "U") ? "struct" : "class"
      return typeName().map { TypeText(left: "\(keyword) \($0)") }
    case UInt8(ascii: "W"):
      guard take() != nil else { return nil }  // the enum's underlying type
      return typeName().map { TypeText(left: "enum \($0)") }
    case UInt8(ascii: "?"):
      // A by-value type with cv qualifiers (`?B` const).
      guard let cv = take().flatMap(Self.qualifiers), var inner = type() else { return nil }
      if !cv.isEmpty { inner.left += " " + cv }
      return inner
    case UInt8(ascii: "P"), UInt8(ascii: "Q"), UInt8(ascii: "R"), UInt8(ascii: "S"):
      let own =
        code == UInt8(ascii: "Q")
        ? "const"
        : code == UInt8(ascii: "R")
          ? "volatile"
          : code == UInt8(ascii: "S") ? "const volatile" : ""
      return pointer("*", own: own)
    case UInt8(ascii: "A"), UInt8(ascii: "B"):
      return pointer("&", own: code == UInt8(ascii: "B") ? "volatile" : "")
    case UInt8(ascii: "$"):
      if consume("$Q") { return pointer("&&", own: "") }
      if consume("$R") { return pointer("&&", own: "volatile") }
      if consume("$T") { return TypeText(left: "std::nullptr_t") }
      if consume("$A6") { return functionType(pointer: nil) }
      if consume("$C") {
        guard let cv = take().flatMap(Self.qualifiers), var inner = type() else { return nil }
        if !cv.isEmpty { inner.left += " " + cv }
        return inner
      }
      return nil
    default:
      return nil
    }
  }

  /// After `P`/`Q`/`R`/`S`/`A`/`B`/`$$Q`: modifiers, then the pointee's cv and type, or `6` and
  /// a function type.
  private mutating func pointer(_ symbol: String, own: String) -> TypeText? {
    skipPointerModifiers()
    let suffix = own.isEmpty ? "" : own
    if consume("6") {
      return functionType(pointer: symbol + suffix)
    }
    guard let cv = take().flatMap(Self.qualifiers), let pointee = type() else { return nil }
    var left = pointee.left
    if !cv.isEmpty { left += " " + cv }
    if !pointee.right.isEmpty {
      // A pointer to a function pointer or array: keep it inside the declarator.
      return TypeText(left: left + "(" + symbol + suffix, right: ")" + pointee.right)
    }
    let last = left.last
    left += (last == "*" || last == "&" ? "" : " ") + symbol + suffix
    return TypeText(left: left)
  }

  private static let conventions: [UInt8: String] = [
    UInt8(ascii: "A"): "__cdecl", UInt8(ascii: "B"): "__cdecl", UInt8(ascii: "C"): "__pascal",
    UInt8(ascii: "D"): "__pascal", UInt8(ascii: "E"): "__thiscall",
    UInt8(ascii: "F"): "__thiscall", UInt8(ascii: "G"): "__stdcall",
    UInt8(ascii: "H"): "__stdcall", UInt8(ascii: "I"): "__fastcall",
    UInt8(ascii: "J"): "__fastcall", UInt8(ascii: "M"): "__clrcall",
    UInt8(ascii: "O"): "__eabi", UInt8(ascii: "Q"): "__vectorcall",
    UInt8(ascii: "S"): "__regcall",
  ]

  /// A function type: calling convention, return type, parameters, throw spec. As a pointer
  /// (`pointer` set) the declarator goes inside: `ret (__cdecl *` … `)(params)`.
  private mutating func functionType(pointer: String?) -> TypeText? {
    guard let (convention, returns, parameters) = callSignature() else { return nil }
    let result = returns.map { $0.plain + " " } ?? ""
    if let pointer {
      return TypeText(left: "\(result)(\(convention) \(pointer)", right: ")(\(parameters))")
    }
    return TypeText(left: "\(result)\(convention)", right: "(\(parameters))")
  }

  /// Calling convention, return type (`@`: none, for constructors and destructors), parameters
  /// and throw specification.
  private mutating func callSignature() -> (String, TypeText?, String)? {
    guard let convention = take().flatMap({ Self.conventions[$0] }) else { return nil }
    var returns: TypeText?
    if !consume("@") {
      guard let type = returnType() else { return nil }
      returns = type
    }
    guard let parameters = parameterList(), throwSpec() else { return nil }
    return (convention, returns, parameters)
  }

  private mutating func returnType() -> TypeText? {
    if consume("?") {
      guard let cv = take().flatMap(Self.qualifiers), var inner = type() else { return nil }
      if !cv.isEmpty { inner.left += " " + cv }
      return inner
    }
    return type()
  }

  /// `X` (void), or types up to `@`, or ending in `Z` (`...`).
  private mutating func parameterList() -> String? {
    if consume("X") { return "void" }
    var list: [String] = []
    while true {
      if consume("@") { break }
      if consume("Z") {
        list.append("...")
        break
      }
      guard peek != nil, list.count < 256, let type = parameterType() else { return nil }
      list.append(type.plain)
    }
    let text = list.joined(separator: ", ")
    return text.utf8.count <= Self.maxText ? text : nil
  }

  private mutating func throwSpec() -> Bool {
    if consume("Z") { return true }
    return consume("_E")  // noexcept
  }

  // MARK: symbols

  private mutating func symbol() -> Demangled? {
    guard consume("?") else { return nil }
    if consume("?_C@_") {
      return Demangled(text: "`string'", name: "`string'")
    }
    if consume("?_R0") {
      guard let type = type(), consume("@8") else { return nil }
      let text = type.declaring("`RTTI Type Descriptor'")
      return Demangled(text: text, name: text)
    }
    if consume("?_R1") {
      var numbers: [Int64] = []
      for _ in 0..<4 {
        guard let value = number() else { return nil }
        numbers.append(value)
      }
      guard let owner = typeName(), consume("8") else { return nil }
      let text =
        "\(owner)::`RTTI Base Class Descriptor at (\(numbers.map(String.init).joined(separator: ", ")))'"
      return Demangled(text: text, name: text)
    }
    for (code, label) in [
      ("?_R2", "`RTTI Base Class Array'"), ("?_R3", "`RTTI Class Hierarchy Descriptor'"),
    ] where consume(code) {
      guard let owner = typeName(), consume("8") else { return nil }
      let text = "\(owner)::\(label)"
      return Demangled(text: text, name: text)
    }
    if consume("?_R4") {
      guard let owner = typeName(), consume("6B"), consume("@") || peek == nil else { return nil }
      let name = "\(owner)::`RTTI Complete Object Locator'"
      return Demangled(text: "const " + name, name: name)
    }
    return symbolBody()
  }

  /// A name and its encoding (function, data, vftable).
  private mutating func symbolBody() -> Demangled? {
    guard enter() else { return nil }
    defer { leave() }
    guard let (name, kind) = qualifiedName(), let code = take() else { return nil }
    let windbgName = name.replacingOccurrences(of: " dtor'", with: " destructor'")
      .replacingOccurrences(of: " ctor ", with: " constructor ")
      .replacingOccurrences(of: " ctor'", with: " constructor'")
    switch code {
    case UInt8(ascii: "0")...UInt8(ascii: "4"):
      // Data: storage class, type, storage qualifiers.
      let access: String
      switch code {
      case UInt8(ascii: "0"): access = "private: static "
      case UInt8(ascii: "1"): access = "protected: static "
      case UInt8(ascii: "2"): access = "public: static "
      default: access = ""
      }
      guard var type = type() else { return nil }
      skipPointerModifiers()
      guard let cv = take().flatMap(Self.qualifiers) else { return nil }
      // The storage qualifier shows on values only; a pointer's own cv is in its type (`Q`).
      if !cv.isEmpty && type.right.isEmpty && !type.left.hasSuffix("*")
        && !type.left.hasSuffix("&")
      {
        type.left += " " + cv
      }
      return Demangled(text: access + type.declaring(name), name: windbgName)
    case UInt8(ascii: "6"), UInt8(ascii: "7"):
      // vftable / vbtable: storage qualifiers, then an optional `{for …}` scope.
      skipPointerModifiers()
      guard let cv = take().flatMap(Self.qualifiers) else { return nil }
      var text = (cv.isEmpty ? "" : cv + " ") + name
      if !consume("@") {
        guard let scope = typeName(), consume("@") || peek == nil else { return nil }
        text += "{for `\(scope)'}"
      }
      return Demangled(text: text, name: windbgName)
    case UInt8(ascii: "9"):
      return Demangled(text: "extern \"C\" " + name, name: windbgName)
    default:
      break
    }
    // Functions: access and kind, `this` qualifiers, then the function type.
    guard let (access, member, isStatic, isVirtual) = Self.functionClass(code) else { return nil }
    var thisQualifier = ""
    if member {
      skipPointerModifiers()
      guard let cv = take().flatMap(Self.qualifiers) else { return nil }
      thisQualifier = cv
    }
    guard let (convention, returns, parameters) = callSignature() else { return nil }
    var text = access
    if isStatic { text += "static " }
    if isVirtual { text += "virtual " }
    if case .conversion = kind, let returns {
      text += "\(convention) \(name) \(returns.plain)(\(parameters))"
      return Demangled(text: text, name: "\(windbgName) \(returns.plain)")
    }
    if let returns {
      if returns.right.isEmpty {
        text += returns.left + " "
      } else {
        text += returns.left + returns.right + " "
      }
    }
    text += "\(convention) \(name)(\(parameters))"
    if !thisQualifier.isEmpty { text += " " + thisQualifier }
    return Demangled(
      text: text, name: windbgName,
      signature: "\(windbgName)(\(Self.diaParameters(parameters)))")
  }

  /// The function-class letter after a function's name: access, whether it has `this`, static,
  /// virtual.
  private static func functionClass(_ code: UInt8) -> (String, Bool, Bool, Bool)? {
    switch code {
    case UInt8(ascii: "A"), UInt8(ascii: "B"): return ("private: ", true, false, false)
    case UInt8(ascii: "C"), UInt8(ascii: "D"): return ("private: ", false, true, false)
    case UInt8(ascii: "E"), UInt8(ascii: "F"): return ("private: ", true, false, true)
    case UInt8(ascii: "I"), UInt8(ascii: "J"): return ("protected: ", true, false, false)
    case UInt8(ascii: "K"), UInt8(ascii: "L"): return ("protected: ", false, true, false)
    case UInt8(ascii: "M"), UInt8(ascii: "N"): return ("protected: ", true, false, true)
    case UInt8(ascii: "Q"), UInt8(ascii: "R"): return ("public: ", true, false, false)
    case UInt8(ascii: "S"), UInt8(ascii: "T"): return ("public: ", false, true, false)
    case UInt8(ascii: "U"), UInt8(ascii: "V"): return ("public: ", true, false, true)
    case UInt8(ascii: "Y"), UInt8(ascii: "Z"): return ("", false, false, false)
    default: return nil
    }
  }
}
