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

    public init(
      image: String?, moduleOffset: UInt64?, function: String?, functionOffset: UInt64?,
      trust: String
    ) {
      self.image = image
      self.moduleOffset = moduleOffset
      self.function = function
      self.functionOffset = functionOffset
      self.trust = trust
    }
  }

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

  public static func bucket(_ crash: Crash, frames: [Frame], rules: BucketRules) -> CrashBucket {
    let kernel: Bool
    let code: UInt64
    let (prefix, subtype): (String, String?)
    switch crash {
    case .kernel(let bugcheck, let parameters):
      kernel = true
      code = bugcheck
      (prefix, subtype) = kernelPrefix(bugcheck, parameters, rules)
    case .user(let exception, let parameters):
      kernel = false
      code = exception
      (prefix, subtype) = (userPrefix(exception, parameters, rules), nil)
    }
    var skipped: [CrashBucket.Skipped] = []
    var chosen: Int?
    var firstScanned: Int?
    for (index, frame) in frames.enumerated() {
      let text = symbol(frame, rules)
      guard let image = frame.image else {
        skipped.append(.init(frame: index, symbol: text, reason: "not in any module"))
        continue
      }
      if let rule = rules.skip(image: image, function: frame.function) {
        skipped.append(.init(frame: index, symbol: text, reason: "\(rule.pattern): \(rule.why)"))
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
    let blamed = chosen.map { frames[$0] }
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
      parameters: crash.parameters.map { "0x" + String($0, radix: 16) })
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

  static func kernelPrefix(_ code: UInt64, _ parameters: [UInt64], _ rules: BucketRules)
    -> (String, String?)
  {
    // NTSTATUS values arrive sign-extended (0xffffffffc0000005); compare and print 32 bits.
    let raw = parameters.first ?? 0
    let p1 = raw >> 32 == 0xFFFF_FFFF ? raw & 0xFFFF_FFFF : raw
    for rule in rules.kernelPrefixes where rule.code == code {
      if let wanted = rule.parameter1, wanted != p1 { continue }
      let subtype = rule.prefix.contains("{p1}") ? String(p1, radix: 16) : nil
      return (rule.prefix.replacingOccurrences(of: "{p1}", with: String(p1, radix: 16)), subtype)
    }
    return ("0x" + String(code, radix: 16, uppercase: true), nil)
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
