import Foundation

/// A saved WinDbg text log read back: the bug check, the fault context the analysis named, the
/// stack as printed (`!analyze -v`'s STACK_TEXT, or a `kv`/`kn`/`kb` listing), and the bucket
/// fields WinDbg printed. `crashsift explain --windbg` re-buckets such logs with crashsift's rules,
/// so years of saved analyses land in the same buckets as the pipeline's.
///
/// The text is a user's file, not a dump, but it is read just as defensively: every line and
/// every frame count is bounded, and nothing in it can trap.
public struct WindbgLog: Sendable, Equatable {
  /// One line of the stack listing.
  public struct Frame: Sendable, Equatable {
    /// The Call Site column as printed, without annotations.
    public var callSite: String
    /// `module` of `module!function+0xoff` or `module+0xoff`; nil for a bare address.
    public var module: String?
    public var function: String?
    /// The offset after the function (or after the module when no function is named).
    public var offset: UInt64?
    /// A bare address printed as the call site (no module holds it).
    public var address: UInt64?
    /// Child-SP (x64) or ChildEBP (x86).
    public var childSP: UInt64?
    /// RetAddr: where this frame returns, i.e. the next frame's instruction.
    public var returnAddress: UInt64?
    /// The `(TrapFrame @ …)` annotation: the frame below was restored from this trap frame.
    public var trapFrame: UInt64?
    /// The "Args to Child" column of `kv`/`kb` (x64: the frame's home slots at Child-SP + 8),
    /// when printed.
    public var arguments: [UInt64] = []
  }

  /// The `.trap`, `.cxr` or `.exr` the analysis switched to.
  public struct Context: Sendable, Equatable {
    /// `trap`, `cxr` or `exr`.
    public var kind: String
    public var address: UInt64

    public init(kind: String, address: UInt64) {
      self.kind = kind
      self.address = address
    }
  }

  public var bugCheckCode: UInt64
  public var parameters: [UInt64]
  public var frames: [Frame]
  /// TRAP_FRAME / CONTEXT / EXCEPTION_RECORD sections, in the order printed.
  public var contexts: [Context]
  public var stackCommand: String?
  public var processName: String?
  /// FAULTING_IP's symbol (`mydrv+5715`, `mydrv!Read+12`): where the bug check's faulting
  /// address is, as the debugger resolved it; nil when the log has none.
  public var faultingIP: Frame?
  /// What WinDbg printed for the bucket (SYMBOL_NAME, MODULE_NAME, IMAGE_NAME, FAILURE_BUCKET_ID,
  /// FAILURE_ID_HASH, FOLLOWUP_IP, …), keyed by the field name.
  public var printed: [String: String]

  /// Bounds for hostile or enormous input: a real log is a few hundred lines and a stack a few
  /// hundred frames at most.
  static let maxBytes = 16 << 20
  static let maxFrames = 4096

  /// Reads a log; the error says what is missing.
  public init(text: String) throws(WindbgLogError) {
    guard text.utf8.count <= Self.maxBytes else {
      throw WindbgLogError("the log is over 16 MiB; save only the !analyze -v or kv output")
    }
    var code: UInt64?
    var parameters: [UInt64?] = [nil, nil, nil, nil]
    var frames: [Frame] = []
    var contexts: [Context] = []
    var printed: [String: String] = [:]
    var inStack = false
    var sawStack = false
    var inArguments = false
    var bugCheckStr: String?
    var faultingIP: Frame?
    var awaitingFaultingIP = false
    for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if awaitingFaultingIP, !line.isEmpty {
        // The line after `FAULTING_IP:` is `module+hex` or `module!function+hex`, no `0x`.
        awaitingFaultingIP = false
        faultingIP = Self.faultingSymbol(line)
        continue
      }
      if inStack {
        if line.isEmpty {
          // A blank line right after the header is common; a blank line after frames ends it.
          if !frames.isEmpty { inStack = false }
          continue
        }
        if let frame = Self.frame(line) {
          guard frames.count < Self.maxFrames else {
            throw WindbgLogError("the stack has over \(Self.maxFrames) frames")
          }
          frames.append(frame)
          continue
        }
        // Column headers, and the debugger's warnings between frames ("WARNING: Stack unwind
        // information not available. Following frames may be wrong.").
        if Self.isStackHeader(line) || line.hasPrefix("WARNING:") { continue }
        inStack = false
      }
      if line.hasPrefix("STACK_TEXT:") || Self.isStackHeader(line) {
        // A later listing (`kv` after `!analyze -v`, or a second STACK_TEXT) replaces an earlier
        // one only when the earlier one was empty: the analysis' own stack is what it bucketed.
        if sawStack && !frames.isEmpty {
          inStack = false
          continue
        }
        inStack = true
        sawStack = true
        let rest = line.hasPrefix("STACK_TEXT:") ? String(line.dropFirst(11)) : ""
        if let frame = Self.frame(rest.trimmingCharacters(in: .whitespaces)) {
          frames.append(frame)
        }
        continue
      }
      if line.hasPrefix("BugCheck ") {
        // `BugCheck 1000007E, {ffffffffc0000005, fffff80002f5c6a3, fffff880031b8a58, 0}`
        let body = line.dropFirst(9)
        let pieces = body.split(separator: ",", maxSplits: 1)
        if let first = pieces.first, let value = Self.hex(first) { code = value }
        if pieces.count == 2 {
          let list = pieces[1].trimmingCharacters(in: CharacterSet(charactersIn: " {}"))
          for (index, item) in list.split(separator: ",").prefix(4).enumerated() {
            parameters[index] = Self.hex(item)
          }
        }
        continue
      }
      if inArguments, line.hasPrefix("Arg"), line.count > 5 {
        // `Arg1: ffffffffc0000005, The exception code that was not handled`
        let digit = line[line.index(line.startIndex, offsetBy: 3)]
        if let n = digit.wholeNumberValue, (1...4).contains(n) {
          let value = line.dropFirst(5).split(separator: ",").first
          if parameters[n - 1] == nil { parameters[n - 1] = value.flatMap(Self.hex) }
        }
        continue
      }
      if line == "Arguments:" {
        inArguments = true
        continue
      }
      if code == nil, line.hasPrefix("Unknown bugcheck code ("), line.hasSuffix(")") {
        code = Self.hex(line.dropFirst(23).dropLast())
        continue
      }
      if code == nil, let open = line.lastIndex(of: "("), line.hasSuffix(")"),
        line.first?.isUppercase == true,
        line[..<open].allSatisfy({ $0.isUppercase || $0 == "_" || $0.isNumber || $0 == " " })
      {
        // `SYSTEM_THREAD_EXCEPTION_NOT_HANDLED (7e)`
        code = Self.hex(line[line.index(after: open)..<line.index(before: line.endIndex)])
        continue
      }
      guard let colon = line.firstIndex(of: ":") else { continue }
      let key = String(line[..<colon])
      guard key.allSatisfy({ $0.isUppercase || $0 == "_" || $0.isNumber }), !key.isEmpty else {
        continue
      }
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      switch key {
      case "BUGCHECK_CODE":
        code = Self.hex(value) ?? code
      case "BUGCHECK_P1", "BUGCHECK_P2", "BUGCHECK_P3", "BUGCHECK_P4":
        if let n = key.last?.wholeNumberValue { parameters[n - 1] = Self.hex(value) }
      case "BUGCHECK_STR":
        bugCheckStr = value
      case "TRAP_FRAME", "CONTEXT", "EXCEPTION_RECORD":
        // `ffffd000`23e0f4d0 -- (.trap 0xffffd00023e0f4d0)`
        if let token = value.split(separator: " ").first, let address = Self.hex(token) {
          let kind = key == "TRAP_FRAME" ? "trap" : key == "CONTEXT" ? "cxr" : "exr"
          contexts.append(Context(kind: kind, address: address))
        }
      case "FAULTING_IP":
        if value.isEmpty {
          awaitingFaultingIP = true
        } else {
          faultingIP = Self.faultingSymbol(value)
        }
      case "STACK_COMMAND":
        printed[key] = value
      case "PROCESS_NAME":
        printed[key] = value
      default:
        if printed[key] == nil, !value.isEmpty { printed[key] = value }
      }
    }
    if code == nil, let bugCheckStr {
      // Old engines: `BUGCHECK_STR:  0x7E` (sometimes with a suffix such as `0x7E_c0000005`).
      let head = bugCheckStr.split(separator: "_").first.map(String.init) ?? bugCheckStr
      code = Self.hex(head)
    }
    guard let code else {
      throw WindbgLogError(
        "no bug check in the log: expected a `BugCheck 7E, {…}` line, a `NAME (7e)` header "
          + "or BUGCHECK_CODE:")
    }
    guard sawStack else {
      throw WindbgLogError(
        "no stack in the log: expected STACK_TEXT: (from !analyze -v) or a kv/kn listing "
          + "(Child-SP RetAddr … Call Site)")
    }
    guard !frames.isEmpty else {
      throw WindbgLogError("the log's STACK_TEXT lists no frames")
    }
    self.bugCheckCode = code
    self.parameters = parameters.map { $0 ?? 0 }
    self.frames = frames
    self.contexts = contexts
    self.stackCommand = printed["STACK_COMMAND"]
    self.processName = printed["PROCESS_NAME"]
    self.printed = printed
    self.faultingIP = faultingIP
  }

  /// `mydrv+5715` or `mydrv!Read+12` (offsets in hex without `0x`, as FAULTING_IP prints them).
  static func faultingSymbol(_ text: String) -> Frame? {
    guard let site = text.split(separator: " ").first.map(String.init), !site.isEmpty,
      site.contains("+") || site.contains("!")
    else { return nil }
    var frame = Frame(
      callSite: site, module: nil, function: nil, offset: nil, address: nil, childSP: nil,
      returnAddress: nil, trapFrame: nil)
    var body = Substring(site)
    if let plus = body.lastIndex(of: "+") {
      frame.offset = Self.hex(body[body.index(after: plus)...])
      body = body[..<plus]
    }
    if let bang = body.firstIndex(of: "!") {
      frame.module = String(body[..<bang])
      let function = body[body.index(after: bang)...]
      frame.function = function.isEmpty ? nil : String(function)
    } else {
      frame.module = String(body)
    }
    guard let module = frame.module, !module.isEmpty, module.first != "0" else { return nil }
    return frame
  }

  /// The column header of a `k` listing (`Child-SP RetAddr Call Site`, `ChildEBP RetAddr …`,
  /// `# Child-SP …`).
  static func isStackHeader(_ line: String) -> Bool {
    let stripped =
      line.hasPrefix("#") ? line.dropFirst().trimmingCharacters(in: .whitespaces) : line
    return stripped.hasPrefix("Child-SP") || stripped.hasPrefix("ChildEBP")
  }

  /// One stack line: `SP RET : args : site`, `SP RET site` (kn), `EBP RET a1 a2 a3 site` (x86
  /// kb), each optionally preceded by a frame number; nil when the line is not a frame.
  static func frame(_ line: String) -> Frame? {
    guard !line.isEmpty else { return nil }
    if line.hasPrefix("...") {
      // Columns elided by whoever saved the log (`... nt!KeBugCheckEx`, `... : mydrv!F+0x1 ...`):
      // the call site is all that is left.
      var site = line.drop { $0 == "." || $0 == " " || $0 == ":" }
      while site.hasSuffix(".") || site.hasSuffix(" ") { site = site.dropLast() }
      let callSite = site.trimmingCharacters(in: .whitespaces)
      guard !callSite.isEmpty, !callSite.contains(" : ") else { return nil }
      var frame = Frame(
        callSite: callSite, module: nil, function: nil, offset: nil, address: nil, childSP: nil,
        returnAddress: nil, trapFrame: nil)
      Self.name(callSite, into: &frame)
      return frame
    }
    var site: Substring
    var numbers: [UInt64?] = []
    var arguments: [UInt64] = []
    if let last = line.range(of: " : ", options: .backwards) {
      site = line[last.upperBound...]
      let head = line[..<last.lowerBound]
      let parts = head.split(separator: " : ", maxSplits: 2)
      let leading = parts.first ?? head
      if parts.count == 2 {
        arguments = parts[1].split(separator: " ").prefix(8).compactMap { Self.hex($0) }
      }
      var tokens = leading.split(separator: " ")
      if tokens.count >= 3, let first = tokens.first, first.count <= 3 {
        tokens.removeFirst()  // the frame number of `kn`/`kv`
      }
      numbers = tokens.map { Self.hex($0) }
    } else {
      // Without colons: the leading address tokens, then the call site.
      var rest = Substring(line)
      var tokens = 0
      if let space = rest.firstIndex(of: " "), rest[..<space].count <= 3,
        rest[..<space].allSatisfy(\.isHexDigit)
      {
        rest = rest[space...].drop(while: { $0 == " " })  // the frame number of `kn`
      }
      while tokens < 8, let space = rest.firstIndex(of: " ") {
        let token = rest[..<space]
        guard Self.isAddressToken(token) else { break }
        numbers.append(Self.hex(token))
        rest = rest[space...].drop(while: { $0 == " " })
        tokens += 1
      }
      guard tokens >= 2 else { return nil }
      site = rest
    }
    guard numbers.count >= 2, numbers[0] != nil else { return nil }
    var trap: UInt64?
    if let marker = site.range(of: "(TrapFrame @ ") ?? site.range(of: "(TRAP_FRAME @ ") {
      let after = site[marker.upperBound...]
      trap = after.split(separator: ")").first.flatMap { Self.hex($0) }
      site = site[..<marker.lowerBound]
    }
    if let source = site.range(of: " [") { site = site[..<source.lowerBound] }
    let callSite = site.trimmingCharacters(in: .whitespaces)
    guard !callSite.isEmpty, !callSite.contains(" : ") else { return nil }
    var frame = Frame(
      callSite: callSite, module: nil, function: nil, offset: nil, address: nil,
      childSP: numbers[0], returnAddress: numbers[1], trapFrame: trap, arguments: arguments)
    Self.name(callSite, into: &frame)
    return frame
  }

  /// Splits `module!function+0xoff`, `module+0xoff`, `module!function`, or a bare address.
  static func name(_ site: String, into frame: inout Frame) {
    if let bang = site.firstIndex(of: "!") {
      frame.module = String(site[..<bang])
      var function = site[site.index(after: bang)...]
      if let plus = function.range(of: "+0x", options: .backwards) {
        frame.offset = Self.leadingHex(function[plus.upperBound...])
        function = function[..<plus.lowerBound]
      }
      frame.function = function.isEmpty ? nil : String(function)
      return
    }
    if let plus = site.range(of: "+0x", options: .backwards) {
      frame.module = String(site[..<plus.lowerBound])
      frame.offset = Self.leadingHex(site[plus.upperBound...])
      return
    }
    if let address = Self.hex(site), site.hasPrefix("0x") || Self.isAddressToken(Substring(site)) {
      frame.address = address
      return
    }
    frame.module = site
  }

  /// The hex digits an offset starts with (logs pasted into posts carry notes after them).
  static func leadingHex(_ text: Substring) -> UInt64? {
    Self.hex(text.prefix { $0.isHexDigit || $0 == "`" })
  }

  /// `fffff880`0339e8d8`, `8d9b3b0c`: 8 or more hex digits (with WinDbg's backtick).
  static func isAddressToken(_ token: Substring) -> Bool {
    let digits = token.filter { $0 != "`" }
    return digits.count >= 8 && digits.count <= 16 && digits.allSatisfy(\.isHexDigit)
  }

  /// Hex as WinDbg prints it: optional `0x`, optional backtick between the halves.
  static func hex<S: StringProtocol>(_ text: S) -> UInt64? {
    var digits = text.trimmingCharacters(in: CharacterSet(charactersIn: " \t{}()"))
      .replacingOccurrences(of: "`", with: "")
    if digits.lowercased().hasPrefix("0x") { digits = String(digits.dropFirst(2)) }
    guard !digits.isEmpty, digits.count <= 16 else { return nil }
    return UInt64(digits, radix: 16)
  }
}

/// A WinDbg log crashsift cannot use, with what it expected.
public struct WindbgLogError: Error, CustomStringConvertible, Sendable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
