import Minidump

/// Forms the bucket of a crash from its walked stack, the way modern WinDbg's `!analyze` does
/// (reference kernel-dumps.md §6): the followup frame is the first frame from the top that no
/// rule excludes; FAILURE_BUCKET_ID = `<prefix>_<module>!<function>` (`unknown_function` without
/// symbols; kernel modules by their alias or stem, user modules by image name), the offset kept
/// apart as BUCKET_ID_FUNC_OFFSET so one bug at two offsets is one bucket.
public enum Bucketer {
  /// One frame as the bucketer sees it.
  public struct Frame: Sendable, Equatable {
    public var image: String?
    public var moduleOffset: UInt64?
    public var function: String?
    public var functionOffset: UInt64?
    public var trust: String
    /// The frame's instruction (the context or trap IP for frame 0 and restored frames, else the
    /// return address), when known: compared with the bug check's faulting address.
    public var instruction: UInt64?
    /// The frame's stack pointer, when known: a trap frame that restores a user-mode stack is
    /// the system call's entry, not the fault.
    public var stackPointer: UInt64?
    /// A name a kernel prefix rule may put into its prefix as `{qualifier}` (0x9F: the driver
    /// attached directly above the culprit device); nil drops `_{qualifier}`.
    public var qualifier: String?

    public init(
      image: String?, moduleOffset: UInt64?, function: String?, functionOffset: UInt64?,
      trust: String, instruction: UInt64? = nil, stackPointer: UInt64? = nil
    ) {
      self.image = image
      self.moduleOffset = moduleOffset
      self.function = function
      self.functionOffset = functionOffset
      self.trust = trust
      self.instruction = instruction
      self.stackPointer = stackPointer
    }
  }

  /// The fault context the stack was walked from, when the bug check named one and it could be
  /// read, or when the walk could not reach the trap frame that restores the bug check's faulting
  /// address and it was found on the stack: WinDbg's `.trap` (TRAP_FRAME) or `.cxr` (CONTEXT).
  /// Frame 0 is then the faulting frame, and nothing above it exists to be blamed.
  public typealias FaultContext = CrashBucket.Context

  /// What crashed.
  public enum Crash: Sendable, Equatable {
    /// A bug check with its four parameters.
    case kernel(code: UInt64, parameters: [UInt64])
    /// An exception with its parameters (for access violations: [access type, address]).
    case user(code: UInt64, parameters: [UInt64])

    var parameters: [UInt64] {
      switch self {
      case .kernel(_, let parameters), .user(_, let parameters): parameters
      }
    }
  }

  /// - Parameters:
  ///   - context: the trap frame or context record `frames` were walked from, if any.
  ///   - faultingFrame: the frame at the bug check's faulting address (its parameter), blamed
  ///     when the stack offers nothing better than a frame of last resort (as WinDbg does when
  ///     the stack is garbage or the kernel has no symbols).
  ///   - parameterFrames: for each bug-check parameter, the module and offset its value points
  ///     into, when it does: rules that name a culprit parameter blame it.
  ///   - facts: what the dump says beyond the stack that a kernel prefix may name as
  ///     `{name}` (`Bucketer.facts(of:frames:)`: 0xEF's `critical_process`, `exit_status`,
  ///     `terminator`, `terminator_pid`); a rule naming a fact not given does not apply.
  public static func bucket(
    _ crash: Crash, frames: [Frame], rules: BucketRules, context: FaultContext? = nil,
    faultingFrame: Frame? = nil, parameterFrames: [Frame?] = [], facts: [String: String] = [:]
  ) -> CrashBucket {
    let kernel: Bool
    let code: UInt64
    let (prefix, subtype): (String, String?)
    var culprit: (frame: Frame, imageForm: Bool)?
    switch crash {
    case .kernel(let bugcheck, let parameters):
      kernel = true
      code = bugcheck
      let chosenRule: KernelPrefixChoice
      chosenRule = kernelPrefix(
        bugcheck, parameters, rules, parameterFrames: parameterFrames, facts: facts)
      (prefix, subtype) = (chosenRule.prefix, chosenRule.subtype)
      culprit = chosenRule.culprit
    case .user(let exception, let parameters):
      kernel = false
      code = exception
      (prefix, subtype) = (userPrefix(exception, parameters, rules), nil)
    }
    if let culprit {
      return named(
        crash, culprit: culprit.frame, imageForm: culprit.imageForm, prefix: prefix,
        subtype: subtype, rules: rules, context: context)
    }
    var skipped: [CrashBucket.Skipped] = []
    var chosen: Int?
    var firstScanned: Int?
    var lastResort: Int?
    var start = 0
    if context == nil, kernel, let trap = faultingTrap(crash, frames) {
      // The bug check did not name its context (or it could not be read), but the walk crossed
      // the trap frame that restored the faulting instruction: everything above it is the
      // fault's handling, whatever the frames are called (or not called, without nt symbols).
      start = trap
      for index in 0..<trap {
        skipped.append(
          .init(
            frame: index, symbol: symbol(frames[index], rules),
            reason: "above the faulting frame \(trap), restored from a trap frame"))
      }
    }
    for (index, frame) in frames.enumerated().dropFirst(start) {
      let text = symbol(frame, rules)
      guard let image = frame.image else {
        skipped.append(.init(frame: index, symbol: text, reason: "not in any module"))
        continue
      }
      if let rule = rules.skip(
        image: image, function: frame.function, bugcheck: kernel ? code : nil)
      {
        skipped.append(.init(frame: index, symbol: text, reason: "\(rule.pattern): \(rule.why)"))
        if rule.lastResort == true { lastResort = lastResort ?? index }
        continue
      }
      if frame.trust == "scan" {
        // A frame found by scanning may be a stale return address: blame it only when no
        // trusted frame is left.
        firstScanned = firstScanned ?? index
        skipped.append(.init(frame: index, symbol: text, reason: "found by stack scanning"))
        continue
      }
      chosen = index
      break
    }
    if chosen == nil, let scanned = firstScanned {
      chosen = scanned
      skipped.removeAll { $0.frame == scanned }
    }
    var blamedFrame: Frame?
    if chosen == nil, let faulting = faultingFrame, let image = faulting.image,
      rules.skip(image: image, function: faulting.function, bugcheck: kernel ? code : nil) == nil
    {
      blamedFrame = faulting
    } else if chosen == nil, let fallback = lastResort {
      // Only frames no rule can tell apart are left (e.g. a kernel without symbols): the first
      // of them is a better answer than none.
      chosen = fallback
      skipped.removeAll { $0.frame == fallback }
    }
    let blamed = blamedFrame ?? chosen.map { frames[$0] }
    let image = blamed?.image ?? "unknown_image"
    let module = rules.moduleName(image)
    let function = blamed?.function
    let offset = function != nil ? blamed?.functionOffset : blamed?.moduleOffset
    let offsetText = String(offset ?? 0, radix: 16)
    let bucketModule = kernel ? module : image
    let failure = "\(prefix)_\(bucketModule)!\(function ?? "unknown_function")"
    return CrashBucket(
      mode: kernel ? "km" : "um", code: "0x" + String(code, radix: 16, uppercase: true),
      codeName: kernel ? BugCheckTable.name(for: UInt32(truncatingIfNeeded: code)) : nil,
      subtype: subtype, prefix: prefix, followupFrame: chosen,
      symbolName: blamed.map { symbol($0, rules) } ?? "unknown_image",
      moduleName: module, imageName: image, function: function, functionOffset: offsetText,
      failureBucketID: failure, failureIDHash: FailureIDHash.of(failure, kernelMode: kernel),
      symbolized: function != nil, trust: blamed?.trust, skipped: skipped,
      rulesVersion: rules.version, socorroSignature: nil,
      parameters: crash.parameters.map { "0x" + String($0, radix: 16) },
      faultContext: context)
  }

  /// The first frame restored from a trap frame that is the fault: its instruction is the bug
  /// check's faulting address when both are known, and it runs on a kernel stack (a trap that
  /// restores a user-mode stack is the system call's entry). Nil when none qualifies.
  static func faultingTrap(_ crash: Crash, _ frames: [Frame]) -> Int? {
    guard case .kernel(let code, let parameters) = crash else { return nil }
    let faultIP = BugCheckTable.faultingIPParameter(for: UInt32(truncatingIfNeeded: code)).flatMap {
      $0 < parameters.count ? parameters[$0] : nil
    }
    let wide = frames.contains { ($0.stackPointer ?? 0) > 0xFFFF_FFFF }
    for (index, frame) in frames.enumerated() where index > 0 && frame.trust == "trap" {
      if let sp = frame.stackPointer, sp != 0 {
        let user = wide ? sp < 0x8000_0000_0000 : sp < 0x8000_0000
        if user { continue }
      }
      if let ip = faultIP, ip != 0, let instruction = frame.instruction, instruction != 0,
        instruction != ip
      {
        continue
      }
      return index
    }
    return nil
  }

  /// WinDbg's SYMBOL_NAME form: `module!function+off` or `module+rva`, offsets in hex without 0x.
  static func symbol(_ frame: Frame, _ rules: BucketRules) -> String {
    guard let image = frame.image else { return "unknown_image" }
    let module = rules.moduleName(image)
    if let function = frame.function {
      return "\(module)!\(function)+\(String(frame.functionOffset ?? 0, radix: 16))"
    }
    return "\(module)+\(String(frame.moduleOffset ?? 0, radix: 16))"
  }

  /// The kernel prefix rule that applies, with the culprit it names when it names one.
  struct KernelPrefixChoice {
    var prefix: String
    var subtype: String?
    var culprit: (frame: Frame, imageForm: Bool)?
  }

  static func kernelPrefix(
    _ code: UInt64, _ parameters: [UInt64], _ rules: BucketRules, parameterFrames: [Frame?] = [],
    facts: [String: String] = [:]
  ) -> KernelPrefixChoice {
    // NTSTATUS values arrive sign-extended (0xffffffffc0000005); compare and print 32 bits.
    let raw = parameters.first ?? 0
    let p1 = raw >> 32 == 0xFFFF_FFFF ? raw & 0xFFFF_FFFF : raw
    for rule in rules.kernelPrefixes where rule.code == code {
      if let wanted = rule.parameter1, wanted != p1 { continue }
      if let wanted = rule.parameter3, parameters.count < 3 || wanted != parameters[2] { continue }
      var culprit: (Frame, Bool)?
      if let index = rule.culpritParameter {
        // Without the module its parameter points into, the rule does not apply.
        guard index < parameterFrames.count, let frame = parameterFrames[index],
          frame.image != nil
        else { continue }
        culprit = (frame, rule.imageForm)
      }
      let subtype = rule.prefix.contains("{p1}") ? String(p1, radix: 16) : nil
      var prefix = rule.prefix.replacingOccurrences(of: "{p1}", with: String(p1, radix: 16))
      if prefix.contains("{qualifier}") {
        prefix =
          culprit?.0.qualifier.map { prefix.replacingOccurrences(of: "{qualifier}", with: $0) }
          ?? prefix.replacingOccurrences(of: "_{qualifier}", with: "")
      }
      if prefix.contains("{fast_fail}") {
        // An undefined code keeps the number alone rather than inventing a name.
        prefix =
          CrashReason.fastFailName(p1).map {
            prefix.replacingOccurrences(of: "{fast_fail}", with: $0)
          }
          ?? prefix.replacingOccurrences(of: "_{fast_fail}", with: "")
      }
      guard let filled = fill(prefix, with: facts) else { continue }
      return KernelPrefixChoice(prefix: filled, subtype: subtype, culprit: culprit)
    }
    return KernelPrefixChoice(
      prefix: "0x" + String(code, radix: 16, uppercase: true), subtype: nil, culprit: nil)
  }

  /// `prefix` with each remaining `{name}` replaced by its fact; nil when a named fact is not
  /// known (the rule does not apply) or the braces do not close.
  static func fill(_ prefix: String, with facts: [String: String]) -> String? {
    var result = ""
    var rest = Substring(prefix)
    while let open = rest.firstIndex(of: "{") {
      result += rest[..<open]
      guard let close = rest[open...].firstIndex(of: "}") else { return nil }
      let name = String(rest[rest.index(after: open)..<close])
      guard let value = facts[name] else { return nil }
      result += value
      rest = rest[rest.index(after: close)...]
    }
    return result + rest
  }

  /// The bucket of a crash whose culprit a bug-check parameter names (no stack search).
  static func named(
    _ crash: Crash, culprit: Frame, imageForm: Bool, prefix: String, subtype: String?,
    rules: BucketRules, context: FaultContext?
  ) -> CrashBucket {
    let image = culprit.image ?? "unknown_image"
    let module = rules.moduleName(image)
    let function = culprit.function
    let offset = function != nil ? culprit.functionOffset : culprit.moduleOffset
    let failure =
      imageForm ? "\(prefix)_\(image)" : "\(prefix)_\(module)!\(function ?? "unknown_function")"
    guard case .kernel(let code, _) = crash else {
      return bucket(crash, frames: [], rules: rules)
    }
    return CrashBucket(
      mode: "km", code: "0x" + String(code, radix: 16, uppercase: true),
      codeName: BugCheckTable.name(for: UInt32(truncatingIfNeeded: code)), subtype: subtype,
      prefix: prefix, followupFrame: nil, symbolName: symbol(culprit, rules), moduleName: module,
      imageName: image, function: function, functionOffset: String(offset ?? 0, radix: 16),
      failureBucketID: failure, failureIDHash: FailureIDHash.of(failure, kernelMode: true),
      symbolized: function != nil, trust: "bugcheck-parameter",
      skipped: [], rulesVersion: rules.version, socorroSignature: nil,
      parameters: crash.parameters.map { "0x" + String($0, radix: 16) }, faultContext: context)
  }

  /// User-mode classes: access violations by access type and address (NULL_POINTER_ below 64 KiB,
  /// INVALID_POINTER_ otherwise), then the rules' table, else APPLICATION_FAULT_.
  static func userPrefix(_ code: UInt64, _ parameters: [UInt64], _ rules: BucketRules) -> String {
    let hex = String(format: "%08x", code)
    if code == 0xC000_0005, parameters.count >= 2 {
      // ExceptionInformation[0] is the access type (0 read, 1 write, 8 DEP execute), but it is a
      // whole ULONG_PTR a damaged dump may fill with anything: compared as it is, never converted.
      let kind =
        switch parameters[0] {
        case 0: "READ"
        case 8: "EXECUTE"
        default: "WRITE"
        }
      let null = parameters[1] < 0x10000 ? "NULL_POINTER" : "INVALID_POINTER"
      return "\(null)_\(kind)_\(hex)"
    }
    if let prefix = rules.userPrefixes[code] { return prefix }
    return "APPLICATION_FAULT_\(hex)"
  }
}
