/// Prints `MSVCSyntax` trees: the declaration as `llvm-undname` writes it, or the name as
/// WinDbg shows it in a frame.
///
/// Bounded: backreferences share subtrees, so a short hostile name can describe an enormous
/// text; printing stops, and `render` gives `nil`, once the text passes `MSVCDemangler.maxText`
/// bytes, the nesting passes 256 levels, or the work passes a budget proportional to the cap.
struct MSVCSyntaxPrinter {
  /// Which text to print.
  enum Style {
    /// llvm-undname's: access, types, calling conventions, `dtor` abbreviations.
    case declaration
    /// WinDbg's frame name: the qualified name alone, generated names spelled out, a function
    /// that scopes a local name shown by its name only (`` `f'::`2'::x ``).
    case windbg
  }

  private var style: Style
  private var buffer: [UInt8] = []
  private var steps = 0
  private var depth = 0
  private var failed = false

  private init(style: Style) { self.style = style }

  /// Prints with `body`; `nil` when a bound was hit.
  static func render(style: Style, _ body: (inout MSVCSyntaxPrinter) -> Void) -> String? {
    var printer = MSVCSyntaxPrinter(style: style)
    body(&printer)
    return printer.failed ? nil : String(decoding: printer.buffer, as: UTF8.self)
  }

  // MARK: output

  private mutating func write(_ text: String) {
    guard !failed else { return }
    guard buffer.count + text.utf8.count <= MSVCDemangler.maxText else {
      failed = true
      return
    }
    buffer.append(contentsOf: text.utf8)
  }

  /// Counts one step of work and one level of nesting; `false` once a bound is passed.
  private mutating func enter() -> Bool {
    steps += 1
    depth += 1
    if steps > 4 * MSVCDemangler.maxText || depth > 256 { failed = true }
    return !failed
  }

  private mutating func leave() { depth -= 1 }

  /// llvm-undname separates a word from what follows only after a letter, digit or `>`.
  private mutating func spaceIfNeeded() {
    guard let last = buffer.last else { return }
    let isWord =
      (last >= UInt8(ascii: "a") && last <= UInt8(ascii: "z"))
      || (last >= UInt8(ascii: "A") && last <= UInt8(ascii: "Z"))
      || (last >= UInt8(ascii: "0") && last <= UInt8(ascii: "9"))
    if isWord || last == UInt8(ascii: ">") { write(" ") }
  }

  private mutating func qualifiers(
    _ qualifiers: MSVCSyntax.Qualifiers, spaceBefore: Bool, spaceAfter: Bool
  ) {
    var space = spaceBefore
    var wrote = false
    for (flag, word) in [
      (MSVCSyntax.Qualifiers.const, "const"), (.volatile, "volatile"), (.restrict, "__restrict"),
    ] where qualifiers.contains(flag) {
      if space { write(" ") }
      write(word)
      space = true
      wrote = true
    }
    if spaceAfter && wrote { write(" ") }
  }

  private mutating func convention(_ convention: String?) {
    spaceIfNeeded()
    if let convention { write(convention) }
  }

  // MARK: symbols

  /// The full declaration (llvm-undname's output).
  mutating func symbol(_ symbol: MSVCSyntax.Symbol) {
    guard enter() else { return }
    defer { leave() }
    switch symbol {
    case .function(let name, let signature):
      signaturePre(signature)
      spaceIfNeeded()
      qualifiedName(name)
      signaturePost(signature)
    case .variable(let name, let storage, let type):
      switch storage {
      case .privateStatic: write("private: static ")
      case .protectedStatic: write("protected: static ")
      case .publicStatic: write("public: static ")
      default: break
      }
      if let type { typePre(type) }
      spaceIfNeeded()
      qualifiedName(name)
      if let type { typePost(type) }
    case .typeDescriptor(let type, let label):
      typePre(type)
      spaceIfNeeded()
      write(label)
      typePost(type)
    case .table(let name, let qualifiers, let targets):
      self.qualifiers(qualifiers, spaceBefore: false, spaceAfter: true)
      qualifiedName(name)
      forTargets(targets)
    case .guardVariable(let name):
      qualifiedName(name)
    case .stringLiteral:
      write("`string'")
    case .md5(let text):
      write(text)
    }
  }

  /// The name WinDbg shows: no types; thunks keep their `[thunk]:` and adjustment.
  mutating func symbolName(_ symbol: MSVCSyntax.Symbol) {
    guard enter() else { return }
    defer { leave() }
    switch symbol {
    case .function(let name, let signature):
      if signature.isThunk { write("[thunk]:") }
      qualifiedName(name)
      if signature.isThunk { adjustment(signature) }
    case .variable(let name, _, _), .guardVariable(let name):
      qualifiedName(name)
    case .table(let name, _, let targets):
      qualifiedName(name)
      forTargets(targets)
    case .typeDescriptor, .stringLiteral, .md5:
      self.symbol(symbol)
    }
  }

  /// A function's parameters as they print between its parentheses.
  mutating func parameterList(_ signature: MSVCSyntax.Signature) {
    guard let parameters = signature.parameters else {
      write("void")
      return
    }
    for (position, parameter) in parameters.enumerated() {
      if position > 0 { write(", ") }
      type(parameter)
    }
    if signature.isVariadic { write(parameters.isEmpty ? "..." : ", ...") }
  }

  private mutating func forTargets(_ targets: [MSVCSyntax.QualifiedName]) {
    guard !targets.isEmpty else { return }
    write("{for `")
    for (position, target) in targets.enumerated() {
      if position > 0 { write("'s `") }
      qualifiedName(target)
    }
    write("'}")
  }

  // MARK: names

  mutating func qualifiedName(_ name: MSVCSyntax.QualifiedName) {
    for (position, component) in name.components.enumerated() {
      if position > 0 { write("::") }
      identifier(component)
    }
  }

  mutating func identifier(_ identifier: MSVCSyntax.Identifier) {
    guard enter() else { return }
    defer { leave() }
    switch identifier {
    case .named(let name, let arguments):
      write(name)
      templateArguments(arguments)
    case .intrinsic(let intrinsic, let arguments):
      write(style == .declaration ? intrinsic.declaration : intrinsic.windbg)
      templateArguments(arguments)
    case .structor(let destructor, let owner, let arguments):
      if destructor { write("~") }
      self.identifier(owner)
      templateArguments(arguments)
    case .conversion(let target, let arguments):
      write("operator")
      templateArguments(arguments)
      write(" ")
      if let target { type(target) }
    case .literalOperator(let suffix, let arguments):
      write("operator \"\"" + suffix)
      templateArguments(arguments)
    case .localStaticGuard(let thread, let scope):
      write(thread ? "`local static thread guard'" : "`local static guard'")
      if scope > 0 { write("{\(scope)}") }
    case .vcall(let offset):
      write("`vcall'{\(offset), {flat}}")
    case .dynamicStructor(let destructor, let variable, let name):
      let label = destructor ? "`dynamic atexit destructor for " : "`dynamic initializer for "
      if style == .declaration {
        write(label)
        if let variable {
          write("`")
          symbol(variable)
          write("''")
        } else if let name {
          write("'")
          qualifiedName(name)
          write("''")
        }
      } else if let name = name ?? variable?.qualifiedName,
        let last = name.components.last
      {
        // WinDbg and DIA put the scopes outside and quote the variable alone:
        // `` ns::`dynamic initializer for 'x'' `` (breakpad's test_app.sym has
        // `` `operator new'::`6'::`dynamic atexit destructor for 'nomem'' ``).
        for scope in name.components.dropLast() {
          self.identifier(scope)
          write("::")
        }
        write(label + "'")
        self.identifier(last)
        write("''")
      }
    case .baseClassDescriptor(let offset, let vbptr, let vbtable, let flags):
      write("`RTTI Base Class Descriptor at (\(offset), \(vbptr), \(vbtable), \(flags))'")
    case .localScope(let function, let block):
      write("`")
      if style == .declaration { symbol(function) } else { symbolName(function) }
      write("'::`\(block)'")
    }
  }

  /// Template arguments print as declarations in both styles: they are types and symbols, not
  /// frame names.
  private mutating func templateArguments(_ arguments: [MSVCSyntax.TemplateArgument]?) {
    guard let arguments else { return }
    let outer = style
    style = .declaration
    defer { style = outer }
    write("<")
    for (position, argument) in arguments.enumerated() {
      if position > 0 { write(", ") }
      switch argument {
      case .type(let type): self.type(type)
      case .integer(let value, let negative): write((negative ? "-" : "") + String(value))
      case .name(let name): qualifiedName(name)
      case .symbol(let symbol, let affinity, let offsets):
        if !offsets.isEmpty {
          write("{")
        } else if affinity == .pointer {
          write("&")
        }
        if let symbol {
          self.symbol(symbol)
          if !offsets.isEmpty { write(", ") }
        }
        write(offsets.map(String.init).joined(separator: ", "))
        if !offsets.isEmpty { write("}") }
      }
    }
    write(">")
  }

  // MARK: types

  /// A type on its own: the part before a declarator and the part after.
  mutating func type(_ type: MSVCSyntax.TypeNode) {
    typePre(type)
    typePost(type)
  }

  private mutating func typePre(_ type: MSVCSyntax.TypeNode) {
    guard enter() else { return }
    defer { leave() }
    switch type {
    case .primitive(let name, let qualifiers):
      write(name)
      self.qualifiers(qualifiers, spaceBefore: true, spaceAfter: false)
    case .tag(let keyword, let name, let qualifiers):
      write(keyword + " ")
      qualifiedName(name)
      self.qualifiers(qualifiers, spaceBefore: true, spaceAfter: false)
    case .custom(let identifier):
      self.identifier(identifier)
    case .pointer(let pointer):
      pointerPre(pointer)
    case .array(let array):
      typePre(array.element)
      qualifiers(array.qualifiers, spaceBefore: true, spaceAfter: false)
    case .function(let signature):
      signaturePre(signature)
    }
  }

  private mutating func typePost(_ type: MSVCSyntax.TypeNode) {
    guard enter() else { return }
    defer { leave() }
    switch type {
    case .primitive, .tag, .custom:
      break
    case .pointer(let pointer):
      switch pointer.pointee {
      case .array, .function: write(")")
      default: break
      }
      typePost(pointer.pointee)
    case .array(let array):
      write("[")
      for (position, dimension) in array.dimensions.enumerated() {
        if position > 0 { write("][") }
        if dimension != 0 { write(String(dimension)) }
      }
      write("]")
      typePost(array.element)
    case .function(let signature):
      signaturePost(signature)
    }
  }

  /// `int (__cdecl *`: a pointer to a function or array parenthesizes the declarator; the
  /// function's calling convention goes inside the parentheses.
  private mutating func pointerPre(_ pointer: MSVCSyntax.Pointer) {
    if case .function(let signature) = pointer.pointee {
      preSignature(signature)
    } else {
      typePre(pointer.pointee)
    }
    spaceIfNeeded()
    if pointer.qualifiers.contains(.unaligned) { write("__unaligned ") }
    switch pointer.pointee {
    case .array:
      write("(")
    case .function(let signature):
      write("(")
      convention(signature.convention)
      write(" ")
    default:
      break
    }
    if let owner = pointer.owner {
      qualifiedName(owner)
      write("::")
    }
    switch pointer.affinity {
    case .pointer: write("*")
    case .reference: write("&")
    case .rvalueReference: write("&&")
    }
    qualifiers(pointer.qualifiers, spaceBefore: false, spaceAfter: false)
  }

  /// Access, storage, return type: what precedes the calling convention.
  private mutating func preSignature(_ signature: MSVCSyntax.Signature) {
    let functionClass = signature.functionClass
    if functionClass.contains(.isPublic) { write("public: ") }
    if functionClass.contains(.isProtected) { write("protected: ") }
    if functionClass.contains(.isPrivate) { write("private: ") }
    if !functionClass.contains(.global) && functionClass.contains(.isStatic) { write("static ") }
    if functionClass.contains(.isVirtual) { write("virtual ") }
    if functionClass.contains(.externC) { write("extern \"C\" ") }
    if let returns = signature.returnType {
      typePre(returns)
      write(" ")
    }
  }

  private mutating func signaturePre(_ signature: MSVCSyntax.Signature) {
    if signature.isThunk { write("[thunk]: ") }
    preSignature(signature)
    convention(signature.convention)
  }

  private mutating func adjustment(_ signature: MSVCSyntax.Signature) {
    let adjustment = signature.adjustment
    if signature.functionClass.contains(.staticThisAdjust) {
      write("`adjustor{\(adjustment.staticOffset)}'")
    } else if signature.functionClass.contains(.virtualThisAdjustEx) {
      write(
        "`vtordispex{\(adjustment.vbptrOffset), \(adjustment.vboffsetOffset), "
          + "\(adjustment.vtordispOffset), \(adjustment.staticOffset)}'")
    } else if signature.functionClass.contains(.virtualThisAdjust) {
      write("`vtordisp{\(adjustment.vtordispOffset), \(adjustment.staticOffset)}'")
    }
  }

  private mutating func signaturePost(_ signature: MSVCSyntax.Signature) {
    if signature.isThunk { adjustment(signature) }
    if !signature.functionClass.contains(.noParameterList) {
      write("(")
      if let parameters = signature.parameters {
        for (position, parameter) in parameters.enumerated() {
          if position > 0 { write(", ") }
          type(parameter)
        }
      } else {
        write("void")
      }
      if signature.isVariadic {
        if buffer.last != UInt8(ascii: "(") { write(", ") }
        write("...")
      }
      write(")")
    }
    let qualifiers = signature.qualifiers
    if qualifiers.contains(.const) { write(" const") }
    if qualifiers.contains(.volatile) { write(" volatile") }
    if qualifiers.contains(.restrict) { write(" __restrict") }
    if qualifiers.contains(.unaligned) { write(" __unaligned") }
    if signature.isNoexcept { write(" noexcept") }
    switch signature.referenceQualifier {
    case .reference?: write(" &")
    case .rvalueReference?: write(" &&")
    default: break
    }
    if let returns = signature.returnType { typePost(returns) }
  }
}
