/// Types: built-in, class, pointer, member pointer, array and function types, and function
/// parameter lists with their backreferences.
extension MSVCDemangler {
  typealias TypeNode = MSVCSyntax.TypeNode

  /// Where cv-qualifiers come before a type: always (`mangle`, a pointee), after an optional `?`
  /// (`result`, return types), or not at all (`drop`, parameters).
  enum QualifierMode {
    case drop, mangle, result
  }

  /// Any type.
  mutating func type(_ mode: QualifierMode) -> TypeNode? {
    guard enter() else { return nil }
    defer { leave() }
    var qualifiers: MSVCSyntax.Qualifiers = []
    switch mode {
    case .mangle:
      guard let (read, _) = self.qualifiers() else { return nil }
      qualifiers = read
    case .result:
      if consume("?") {
        guard let (read, _) = self.qualifiers() else { return nil }
        qualifiers = read
      }
    case .drop:
      break
    }
    guard let code = peek else { return nil }
    let type: TypeNode?
    switch code {
    case UInt8(ascii: "T"), UInt8(ascii: "U"), UInt8(ascii: "V"), UInt8(ascii: "W"):
      type = classType()
    case UInt8(ascii: "A"), UInt8(ascii: "P"), UInt8(ascii: "Q"), UInt8(ascii: "R"),
      UInt8(ascii: "S"):
      guard let member = isMemberPointer() else { return nil }
      type = member ? memberPointer() : pointer()
    case UInt8(ascii: "$") where starts(with: "$$Q"):
      type = pointer()
    case UInt8(ascii: "Y"):
      type = array()
    case UInt8(ascii: "$") where starts(with: "$$A8@@"):
      index += 6
      type = functionType(hasThis: true).map { .function($0) }
    case UInt8(ascii: "$") where starts(with: "$$A6"):
      index += 4
      type = functionType(hasThis: false).map { .function($0) }
    case UInt8(ascii: "?"):
      // A name the compiler made for a type, such as a deduced `<auto>` return type.
      index += 1
      guard let identifier = unqualifiedTypeName(), consume("@") else { return nil }
      type = .custom(identifier)
    default:
      type = primitive()
    }
    return type?.adding(qualifiers)
  }

  /// `P`/`Q`/`R`/`S` (pointers) and `A` (reference): whether what follows is a member pointer
  /// (`8` or `Q`–`T` after the modifiers), without consuming anything; `nil` when neither.
  private func isMemberPointer() -> Bool? {
    guard let first = peek, first != UInt8(ascii: "A") else { return false }
    var at = index + 1
    guard at < input.count else { return nil }
    if Self.isDigit(input[at]) {
      switch input[at] {
      case UInt8(ascii: "6"): return false
      case UInt8(ascii: "8"): return true
      default: return nil
      }
    }
    for modifier in [UInt8(ascii: "E"), UInt8(ascii: "I"), UInt8(ascii: "F")]
    where at < input.count && input[at] == modifier {
      at += 1
    }
    guard at < input.count else { return nil }
    switch input[at] {
    case UInt8(ascii: "A")...UInt8(ascii: "D"): return false
    case UInt8(ascii: "Q")...UInt8(ascii: "T"): return true
    default: return nil
    }
  }

  /// The pointer letter: what it is and its own cv-qualifiers.
  private mutating func pointerKind() -> (MSVCSyntax.Affinity, MSVCSyntax.Qualifiers)? {
    if consume("$$Q") { return (.rvalueReference, []) }
    switch take() {
    case UInt8(ascii: "A"): return (.reference, [])
    case UInt8(ascii: "P"): return (.pointer, [])
    case UInt8(ascii: "Q"): return (.pointer, .const)
    case UInt8(ascii: "R"): return (.pointer, .volatile)
    case UInt8(ascii: "S"): return (.pointer, [.const, .volatile])
    default: return nil
    }
  }

  /// A pointer or reference: `6` and a function type, or modifiers and a qualified pointee.
  private mutating func pointer() -> TypeNode? {
    guard let (affinity, qualifiers) = pointerKind() else { return nil }
    if consume("6") {
      guard let function = functionType(hasThis: false) else { return nil }
      return .pointer(
        MSVCSyntax.Pointer(
          affinity: affinity, qualifiers: qualifiers, owner: nil, pointee: .function(function)))
    }
    let modifiers = pointerExtensions()
    guard let pointee = type(.mangle) else { return nil }
    return .pointer(
      MSVCSyntax.Pointer(
        affinity: affinity, qualifiers: qualifiers.union(modifiers), owner: nil, pointee: pointee))
  }

  /// A pointer to member: `8`, the class and a member function type, or the member's
  /// qualifiers, the class and its type.
  private mutating func memberPointer() -> TypeNode? {
    guard let (affinity, qualifiers) = pointerKind() else { return nil }
    let all = qualifiers.union(pointerExtensions())
    if consume("8") {
      guard let owner = fullyQualifiedTypeName(), let function = functionType(hasThis: true)
      else { return nil }
      return .pointer(
        MSVCSyntax.Pointer(
          affinity: affinity, qualifiers: all, owner: owner, pointee: .function(function)))
    }
    guard let (pointee, _) = self.qualifiers(), let owner = fullyQualifiedTypeName(),
      let member = type(.drop)
    else { return nil }
    return .pointer(
      MSVCSyntax.Pointer(
        affinity: affinity, qualifiers: all, owner: owner, pointee: member.adding(pointee)))
  }

  /// `Y<rank><dimension>…`, optional `$$C` and element qualifiers, the element type.
  private mutating func array() -> TypeNode? {
    index += 1
    guard let rank = unsigned(), rank > 0, rank <= 64 else { return nil }
    var dimensions: [UInt64] = []
    for _ in 0..<rank {
      guard let dimension = unsigned() else { return nil }
      dimensions.append(dimension)
    }
    var qualifiers: MSVCSyntax.Qualifiers = []
    if consume("$$C") {
      guard let (read, member) = self.qualifiers(), !member else { return nil }
      qualifiers = read
    }
    guard let element = type(.drop) else { return nil }
    return .array(
      MSVCSyntax.ArrayType(dimensions: dimensions, element: element, qualifiers: qualifiers))
  }

  private mutating func classType() -> TypeNode? {
    guard let code = take() else { return nil }
    let keyword: String
    switch code {
    case UInt8(ascii: "T"): keyword = "union"
    case UInt8(ascii: "U"): keyword = "struct"
    case UInt8(ascii: "V"): keyword = "class"
    default:
      // `W4` today; `W0`–`W7` once gave the enum's underlying type.
      guard let width = take(), width >= UInt8(ascii: "0"), width <= UInt8(ascii: "7") else {
        return nil
      }
      keyword = "enum"
    }
    return fullyQualifiedTypeName().map { .tag(keyword, $0, []) }
  }

  private static let primitives: [UInt8: String] = letters([
    "C": "signed char", "D": "char",
    "E": "unsigned char", "F": "short",
    "G": "unsigned short", "H": "int",
    "I": "unsigned int", "J": "long",
    "K": "unsigned long", "M": "float",
    "N": "double", "O": "long double", "X": "void",
  ])

  private static let extendedPrimitives: [UInt8: String] = letters([
    "D": "__int8", "E": "unsigned __int8",
    "F": "__int16", "G": "unsigned __int16",
    "H": "__int32", "I": "unsigned __int32",
    "J": "__int64", "K": "unsigned __int64",
    "L": "__int128", "M": "unsigned __int128",
    "N": "bool", "P": "auto", "Q": "char8_t",
    "S": "char16_t", "T": "decltype(auto)",
    "U": "char32_t", "W": "wchar_t",
  ])

  private mutating func primitive() -> TypeNode? {
    if consume("$$T") { return .primitive("std::nullptr_t", []) }
    guard let code = take() else { return nil }
    if code == UInt8(ascii: "_") {
      guard let second = take(), let name = Self.extendedPrimitives[second] else { return nil }
      return .primitive(name, [])
    }
    return Self.primitives[code].map { .primitive($0, []) }
  }

  static let conventions: [UInt8: String] = letters([
    "A": "__cdecl", "B": "__cdecl", "C": "__pascal",
    "D": "__pascal", "E": "__thiscall",
    "F": "__thiscall", "G": "__stdcall",
    "H": "__stdcall", "I": "__fastcall",
    "J": "__fastcall", "M": "__clrcall",
    "N": "__clrcall", "O": "__eabi", "P": "__eabi",
    "Q": "__vectorcall",
    // clang's code for __regcall, which MSVC does not have; llvm-undname 14 does not name it.
    "w": "__regcall",
  ])

  /// `this` qualifiers (member functions), calling convention, return type (`@`: none, for
  /// constructors and destructors), parameters, throw specification.
  mutating func functionType(hasThis: Bool) -> MSVCSyntax.Signature? {
    guard enter() else { return nil }
    defer { leave() }
    var signature = MSVCSyntax.Signature()
    if hasThis {
      var qualifiers = pointerExtensions()
      if consume("G") {
        signature.referenceQualifier = .reference
      } else if consume("H") {
        signature.referenceQualifier = .rvalueReference
      }
      guard let (cv, _) = self.qualifiers() else { return nil }
      qualifiers.formUnion(cv)
      signature.qualifiers = qualifiers
    }
    // An unknown convention letter is read and left unnamed, as llvm-undname does.
    guard let code = take() else { return nil }
    signature.convention = Self.conventions[code]
    if !consume("@") {
      guard let returns = type(.result) else { return nil }
      signature.returnType = returns
    }
    guard parameterList(into: &signature) else { return nil }
    if consume("_E") {
      signature.isNoexcept = true
    } else if !consume("Z") {
      return nil
    }
    return signature
  }

  /// `X` (void), or types up to `@`, or ending in `Z` (`...`). Types longer than one letter are
  /// numbered for backreferences `0`–`9`.
  private mutating func parameterList(into signature: inout MSVCSyntax.Signature) -> Bool {
    if consume("X") { return true }
    var list: [TypeNode] = []
    while let code = peek, code != UInt8(ascii: "@"), code != UInt8(ascii: "Z") {
      guard list.count < 256 else { return false }
      if Self.isDigit(code) {
        index += 1
        let slot = Int(code - UInt8(ascii: "0"))
        guard slot < parameters.count else { return false }
        list.append(parameters[slot])
        continue
      }
      let start = index
      guard let type = type(.drop) else { return false }
      list.append(type)
      if parameters.count < 10 && index - start > 1 { parameters.append(type) }
    }
    signature.parameters = list
    if consume("@") { return true }
    guard consume("Z") else { return false }
    signature.isVariadic = true
    return true
  }
}
