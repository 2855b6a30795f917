/// The parsed form of an MSVC decorated name: what `MSVCDemangler` reads and
/// `MSVCSyntaxPrinter` prints.
///
/// A tree rather than text because one name prints two ways (the `llvm-undname` declaration and
/// the WinDbg frame name) and because C declarators nest inside out: a pointer to an array or to
/// a function puts the declared name in the middle of its type (`int (*x)[3]`), so each type
/// prints a part before the name and a part after it. Backreferences share subtrees; the printer
/// bounds what sharing could multiply.
enum MSVCSyntax {
  /// cv-qualifiers and the pointer extensions the mangling records.
  struct Qualifiers: OptionSet, Sendable {
    let rawValue: UInt8
    static let const = Qualifiers(rawValue: 1)
    static let volatile = Qualifiers(rawValue: 2)
    static let restrict = Qualifiers(rawValue: 4)
    static let unaligned = Qualifiers(rawValue: 8)
    /// `__ptr64`: parsed, never printed (llvm-undname and WinDbg leave it out).
    static let pointer64 = Qualifiers(rawValue: 16)
  }

  /// What a pointer-like type is.
  enum Affinity: Sendable {
    case pointer, reference, rvalueReference
  }

  /// A type.
  indirect enum TypeNode: Sendable {
    /// A built-in type by its spelling (`unsigned __int64`, `std::nullptr_t`).
    case primitive(String, Qualifiers)
    /// `class`/`struct`/`union`/`enum` and the name.
    case tag(String, QualifiedName, Qualifiers)
    /// A name the compiler made up for a type (`<auto>`, a deduced return type).
    case custom(Identifier)
    case pointer(Pointer)
    case array(ArrayType)
    case function(Signature)
  }

  /// A pointer, reference or member pointer.
  struct Pointer: Sendable {
    var affinity: Affinity
    var qualifiers: Qualifiers
    /// The class of a pointer to member.
    var owner: QualifiedName?
    var pointee: TypeNode
  }

  /// An array of one or more dimensions (0 prints as `[]`).
  struct ArrayType: Sendable {
    var dimensions: [UInt64]
    var element: TypeNode
    var qualifiers: Qualifiers
  }

  /// The function-class letter: access, static, virtual, thunks.
  struct FunctionClass: OptionSet, Sendable {
    let rawValue: UInt16
    static let isPublic = FunctionClass(rawValue: 1)
    static let isProtected = FunctionClass(rawValue: 2)
    static let isPrivate = FunctionClass(rawValue: 4)
    static let global = FunctionClass(rawValue: 8)
    static let isStatic = FunctionClass(rawValue: 16)
    static let isVirtual = FunctionClass(rawValue: 32)
    static let externC = FunctionClass(rawValue: 64)
    /// An `extern "C"` function named only to scope its local statics: no parameters mangled.
    static let noParameterList = FunctionClass(rawValue: 128)
    /// Adjustor thunk: `this` moves by a constant.
    static let staticThisAdjust = FunctionClass(rawValue: 256)
    /// vtordisp thunk: `this` moves by a displacement read at run time.
    static let virtualThisAdjust = FunctionClass(rawValue: 512)
    static let virtualThisAdjustEx = FunctionClass(rawValue: 1024)
  }

  /// How a thunk moves `this` before jumping to the function. The offsets are 32-bit in the
  /// compiler (a vtordisp of -4 is mangled as 0xFFFFFFFC) and print as such.
  struct ThisAdjustment: Sendable {
    var staticOffset: UInt32 = 0
    var vbptrOffset: Int32 = 0
    var vboffsetOffset: Int32 = 0
    var vtordispOffset: Int32 = 0
  }

  /// A function type, or a function symbol's signature.
  struct Signature: Sendable {
    var functionClass: FunctionClass = []
    /// cv and pointer qualifiers of `this`.
    var qualifiers: Qualifiers = []
    /// `&` / `&&` member functions.
    var referenceQualifier: Affinity?
    /// `__cdecl` and friends; `nil` for a code llvm-undname does not name.
    var convention: String?
    /// `nil` for constructors, destructors and thunks.
    var returnType: TypeNode?
    /// `nil` is `(void)`.
    var parameters: [TypeNode]?
    var isVariadic = false
    var isNoexcept = false
    /// Thunks print `[thunk]: ` before the declaration.
    var isThunk = false
    var adjustment = ThisAdjustment()
  }

  /// One argument of a template.
  indirect enum TemplateArgument: Sendable {
    case type(TypeNode)
    case integer(UInt64, negative: Bool)
    /// A template template argument (`$$Y`).
    case name(QualifiedName)
    /// A pointer or reference to a symbol, or a member pointer with its offsets (`{f, 0, 4}`).
    case symbol(Symbol?, affinity: Affinity, offsets: [Int64])
  }

  /// Operators and compiler-generated functions: the llvm-undname spelling and the WinDbg one
  /// (`vector deleting dtor` against `vector deleting destructor`).
  struct Intrinsic: Sendable {
    var declaration: String
    var windbg: String
  }

  /// One component of a qualified name.
  indirect enum Identifier: Sendable {
    case named(String, [TemplateArgument]?)
    case intrinsic(Intrinsic, [TemplateArgument]?)
    case structor(destructor: Bool, owner: Identifier, [TemplateArgument]?)
    /// `operator <type>`: the type is the function's return type, filled in after it is read.
    case conversion(TypeNode?, [TemplateArgument]?)
    case literalOperator(String, [TemplateArgument]?)
    case localStaticGuard(thread: Bool, scope: UInt64)
    case vcall(UInt64)
    /// `dynamic initializer for` / `dynamic atexit destructor for` a variable (its full symbol)
    /// or a name.
    case dynamicStructor(destructor: Bool, variable: Symbol?, name: QualifiedName?)
    case baseClassDescriptor(UInt64, Int64, UInt64, UInt64)
    /// A name scoped inside a function: the function and the block number.
    case localScope(Symbol, UInt64)
  }

  /// Components outermost first (`std`, `vector<int>`, `push_back`).
  struct QualifiedName: Sendable {
    var components: [Identifier]
  }

  /// Storage class of a data symbol.
  enum Storage: Sendable {
    case privateStatic, protectedStatic, publicStatic, global, functionLocal, none
  }

  /// What a decorated name denotes.
  indirect enum Symbol: Sendable {
    case function(QualifiedName, Signature)
    case variable(QualifiedName, Storage, TypeNode?)
    /// RTTI type descriptors: the type, then a description (`` `RTTI Type Descriptor' ``).
    case typeDescriptor(TypeNode, String)
    /// vftables, vbtables, complete object locators: qualifiers and the `{for …}` bases.
    case table(QualifiedName, Qualifiers, [QualifiedName])
    case guardVariable(QualifiedName)
    case stringLiteral
    /// A name too long for MSVC, replaced by its MD5 (`??@…@`): nothing to undecorate.
    case md5(String)
  }
}

extension MSVCSyntax.Identifier {
  /// The identifier with template arguments, for the kinds a template can be.
  func withTemplateArguments(_ arguments: [MSVCSyntax.TemplateArgument]) -> Self? {
    switch self {
    case .named(let name, _): .named(name, arguments)
    case .intrinsic(let intrinsic, _): .intrinsic(intrinsic, arguments)
    case .structor(let destructor, let owner, _):
      .structor(destructor: destructor, owner: owner, arguments)
    case .conversion(let target, _): .conversion(target, arguments)
    case .literalOperator(let suffix, _): .literalOperator(suffix, arguments)
    default: nil
    }
  }
}

extension MSVCSyntax.Symbol {
  /// The symbol's name, for the kinds that have one.
  var qualifiedName: MSVCSyntax.QualifiedName? {
    switch self {
    case .function(let name, _), .variable(let name, _, _), .table(let name, _, _),
      .guardVariable(let name):
      name
    case .typeDescriptor(_, let label):
      MSVCSyntax.QualifiedName(components: [.named(label, nil)])
    case .md5(let text): MSVCSyntax.QualifiedName(components: [.named(text, nil)])
    case .stringLiteral: nil
    }
  }
}

extension MSVCSyntax.TypeNode {
  /// The type with more cv-qualifiers; a name the compiler made up takes none.
  func adding(_ qualifiers: MSVCSyntax.Qualifiers) -> Self {
    guard !qualifiers.isEmpty else { return self }
    switch self {
    case .primitive(let name, let own): return .primitive(name, own.union(qualifiers))
    case .tag(let keyword, let name, let own): return .tag(keyword, name, own.union(qualifiers))
    case .custom: return self
    case .pointer(var pointer):
      pointer.qualifiers.formUnion(qualifiers)
      return .pointer(pointer)
    case .array(var array):
      array.qualifiers.formUnion(qualifiers)
      return .array(array)
    case .function(var signature):
      signature.qualifiers.formUnion(qualifiers)
      return .function(signature)
    }
  }
}
