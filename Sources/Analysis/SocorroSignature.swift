import Foundation

/// A Socorro-compatible crash signature, following siggen's default ruleset for C/C++/Rust
/// native crashes (socorro-siggen `siggen/rules.py`; reference minidump.md §4.1): normalize each
/// frame, cut at a sentinel, skip irrelevant frames, append frames while they are "prefix"
/// frames, then the OOM and stack-overflow rules, whitespace fixing and truncation to 255.
public enum SocorroSignature {
  /// One frame of siggen's crash-data schema.
  public struct Frame: Sendable, Equatable {
    public var function: String?
    public var module: String?
    public var file: String?
    public var line: Int?
    public var offset: String?
    /// First unloaded module the frame's address falls in, if any.
    public var unloadedModule: String?
    /// Inlined calls at this frame, innermost first.
    public var inlines: [(function: String?, file: String?, line: Int?)] = []

    public init(
      function: String?, module: String?, file: String?, line: Int?, offset: String?,
      unloadedModule: String? = nil
    ) {
      self.function = function
      self.module = module
      self.file = file
      self.line = line
      self.offset = offset
      self.unloadedModule = unloadedModule
    }

    public static func == (lhs: Frame, rhs: Frame) -> Bool {
      lhs.function == rhs.function && lhs.module == rhs.module && lhs.file == rhs.file
        && lhs.line == rhs.line && lhs.offset == rhs.offset
    }
  }

  /// siggen's input: the crashing thread's frames and the crash reason.
  public struct CrashData: Sendable {
    public var os: String?
    public var reason: String?
    public var oomAllocationSize: Int64?
    /// The crashing thread's frames; nil when there is no crashing thread.
    public var frames: [Frame]?

    public init(os: String?, reason: String?, oomAllocationSize: Int64? = nil, frames: [Frame]?) {
      self.os = os
      self.reason = reason
      self.oomAllocationSize = oomAllocationSize
      self.frames = frames
    }
  }

  public struct Result: Sendable, Equatable, Codable {
    public var signature: String
    public var protoSignature: String
    public var normalizedFrames: [String]
    public var notes: [String]
  }

  /// siggen's MAXIMUM_FRAMES_TO_CONSIDER.
  static let maxFrames = 40

  public static func generate(_ data: CrashData, lists: SocorroLists) -> Result {
    var notes: [String] = []
    guard let frames = data.frames else {
      return Result(
        signature: "EMPTY: no crashing thread identified", protoSignature: "", normalizedFrames: [],
        notes: ["SignatureGenerationRule: CSignatureTool: no crashing thread identified"])
    }
    let windows = data.os == "Windows NT"
    var normalized: [String] = []
    outer: for frame in frames {
      for inline in frame.inlines {
        var copy = frame
        copy.function = inline.function
        copy.file = inline.file
        copy.line = inline.line
        normalized.append(normalize(copy, windows: windows, lists: lists))
        if normalized.count >= maxFrames { break outer }
      }
      normalized.append(normalize(frame, windows: windows, lists: lists))
      if normalized.count >= maxFrames { break }
    }
    var signature = generate(normalized, lists: lists)
    if signature.isEmpty {
      signature = "EMPTY: no frame data available"
      notes.append("SignatureGenerationRule: CSignatureTool: no frame data available")
    }
    // OOMSignature.
    let oomReasons = ["STATUS_NO_MEMORY", "STATUS_FATAL_MEMORY_EXHAUSTION"]
    if data.oomAllocationSize != nil || oomReasons.contains(data.reason ?? "") {
      let size = data.oomAllocationSize.map { $0 <= 262_144 ? "small" : "large" } ?? "unknown"
      if !signature.hasPrefix("OOM |") { signature = "OOM | \(size) | \(signature)" }
    }
    // StackOverflowSignature.
    if data.reason == "EXCEPTION_STACK_OVERFLOW" { signature = "stackoverflow | \(signature)" }
    // SigFixWhitespace, SigTruncate.
    signature = signature.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
      .joined(separator: " ")
    if signature.count > 255 { signature = String(signature.prefix(252)) + "..." }
    return Result(
      signature: signature,
      protoSignature: normalized.filter { !$0.isEmpty }.joined(separator: " | "),
      normalizedFrames: normalized, notes: notes)
  }

  static func generate(_ frames: [String], lists: SocorroLists) -> String {
    var source = frames
    if let sentinel = source.firstIndex(where: { lists.sentinels.contains($0) }) {
      source = Array(source[sentinel...])
    }
    var kept: [String] = []
    for frame in source where !frame.isEmpty {
      if SocorroLists.matches(lists.irrelevant, frame) { continue }
      let repeated = [".dll", ".so", "XUL", "<name omitted>", "<unknown in "].contains {
        frame.hasSuffix($0) || frame.hasPrefix($0)
      }
      if repeated, kept.last == frame { continue }
      kept.append(frame)
      if !SocorroLists.matches(lists.prefix, frame) { break }
    }
    if kept.isEmpty, let first = source.first(where: { !$0.isEmpty }) { kept = [first] }
    return kept.joined(separator: " | ")
  }

  /// A frame as siggen's C signature tool names it.
  static func normalize(_ frame: Frame, windows: Bool, lists: SocorroLists) -> String {
    if let function = frame.function, !function.isEmpty {
      return normalizeFunction(function, line: frame.line, lists: lists)
    }
    if let file = frame.file, !file.isEmpty, let line = frame.line {
      let base =
        file.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? file
      return "\(base)#\(line)"
    }
    if var module = frame.module, !module.isEmpty {
      if windows { module = module.lowercased() }
      return module.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
    }
    if let unloaded = frame.unloadedModule { return "(unloaded \(unloaded))" }
    if let offset = frame.offset {
      let digits = offset.lowercased().hasPrefix("0x") ? String(offset.dropFirst(2)) : offset
      let trimmed = digits.drop { $0 == "0" }
      return "@0x" + (trimmed.isEmpty ? "0" : String(trimmed))
    }
    return ""
  }

  /// siggen's C++ function normalization (`CSignatureTool.normalize_cpp_function`).
  static func normalizeFunction(_ name: String, line: Int?, lists: SocorroLists) -> String {
    var function = name
    if function.hasSuffix(".rs") == false {
      for qualifier in ["const", "const&", "&&", "&"] where function.hasSuffix(qualifier) {
        function = String(function.dropLast(qualifier.count)).trimmingCharacters(in: .whitespaces)
      }
    }
    function = function.replacingOccurrences(
      of: "`anonymous namespace'", with: "(anonymous namespace)")
    if !function.contains("::operator") { function = dropPrefixAndReturnType(function) }
    function = function.replacingOccurrences(
      of: #"\$_\d+"#, with: "\\$", options: .regularExpression)
    function = collapse(
      function, open: "<", close: ">", replacement: "<T>",
      exceptions: ["name omitted", "IPC::ParamTraits", " in "])
    function = collapse(
      function, open: "(", close: ")", replacement: "",
      exceptions: ["anonymous namespace", "operator"])
    if function.contains("clone .cold") {
      function = function.replacingOccurrences(
        of: #"\s*\[clone \.cold[^\]]*\]"#, with: "", options: .regularExpression)
    }
    if let line, SocorroLists.matches(lists.lineNumbers, function) { function += ":\(line)" }
    function = function.replacingOccurrences(
      of: #" +(?=[*&,])"#, with: "", options: .regularExpression)
    function = function.replacingOccurrences(
      of: #",(?! )"#, with: ", ", options: .regularExpression)
    return function
  }

  /// Replaces each outermost `open…close` group by `replacement`, except groups that start with
  /// (or follow) one of `exceptions`.
  static func collapse(
    _ text: String, open: Character, close: Character, replacement: String, exceptions: [String]
  ) -> String {
    var result = ""
    var depth = 0
    var group = ""
    let characters = Array(text)
    for (index, character) in characters.enumerated() {
      if depth == 0 {
        if character == open {
          let after = String(characters[(index + 1)...])
          let before = String(characters[..<index])
          if exceptions.contains(where: { after.hasPrefix($0) || before.hasSuffix($0) }) {
            result.append(character)
          } else {
            depth = 1
            group = String(character)
          }
        } else {
          result.append(character)
        }
      } else {
        if character == open { depth += 1 } else if character == close { depth -= 1 }
        group.append(character)
        if depth == 0 {
          result += replacement
          group = ""
        }
      }
    }
    return result + group
  }

  /// siggen's `drop_prefix_and_return_type`: the last space-separated token outside brackets.
  static func dropPrefixAndReturnType(_ function: String) -> String {
    let pairs: [Character: Character] = ["(": ")", "{": "}", "[": "]", "<": ">", "`": "'"]
    var tokens: [String] = []
    var current = ""
    var levels: [Character] = []
    for character in function {
      if let _ = pairs[character] {
        levels.append(character)
        current.append(character)
      } else if pairs.values.contains(character) {
        if let last = levels.last, pairs[last] == character { levels.removeLast() }
        current.append(character)
      } else if !levels.isEmpty {
        current.append(character)
      } else if character == " " {
        tokens.append(current)
        current = ""
      } else {
        current.append(character)
      }
    }
    if !current.isEmpty { tokens.append(current) }
    while tokens.count > 1, let last = tokens.last, last.hasPrefix("(") || last.hasPrefix("[clone")
    {
      let joined = tokens[tokens.count - 2] + " " + last
      tokens.removeLast(2)
      tokens.append(joined)
    }
    return tokens.last ?? function
  }
}
