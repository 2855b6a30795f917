import Crypto
import Foundation

/// The editable rules of bucketing (`pipelines/rules/bucketing.json`, docs/bucketing.md): frames
/// never blamed (WinDbg's triage.ini idea), module aliases (`ntoskrnl.exe` → `nt`), and the
/// FAILURE_BUCKET_ID prefix of each bug check or exception. `version` is a digest of the rules'
/// content, recorded with every bucket so a change re-buckets the dumps it affects.
public struct BucketRules: Sendable, Equatable {
  public struct Skip: Sendable, Equatable, Codable {
    /// `module!function` with `*` wildcards; the module is the alias or the image name.
    public var pattern: String
    public var why: String
    /// Blame a frame this rule skipped when no other frame is left to blame (the first such).
    public var lastResort: Bool?
    /// Only for these bug checks (hex, e.g. `0x133`); every crash when absent.
    public var bugchecks: [String]?

    /// Whether the rule applies to a crash with this bug check (nil: a user-mode crash).
    func applies(to code: UInt64?) -> Bool {
      guard let bugchecks else { return true }
      guard let code else { return false }
      return bugchecks.contains { BucketRules.hex($0) == code }
    }
  }

  public struct KernelPrefix: Sendable, Equatable, Codable {
    public var bugcheck: String
    public var parameter1: String?
    /// Matched against the third parameter (e.g. 0xD1's access type: 8 = execute).
    public var parameter3: String?
    /// May contain `{p1}` (the first parameter in lower-case hex), `{fast_fail}`, `{qualifier}`
    /// and the names of facts the dump gives (`Bucketer.facts`, e.g. `{critical_process}`); a
    /// rule naming a fact the dump does not give does not apply.
    public var prefix: String
    /// The parameter (1–4) that names the culprit: the module holding its address is blamed,
    /// whatever the stack says (0x116/0x117: the TDR recovery context inside the GPU driver).
    /// The rule applies only when that module is known.
    public var culpritParameter: Int?
    /// `image`: the bucket is `<prefix>_<image name>` (WinDbg's `0x116_IMAGE_nvlddmkm.sys`).
    public var bucketForm: String?
  }

  /// A kernel prefix rule with its numbers parsed.
  public struct CompiledKernelPrefix: Sendable {
    public var code: UInt64
    public var parameter1: UInt64?
    public var parameter3: UInt64?
    public var prefix: String
    /// 0-based.
    public var culpritParameter: Int?
    public var imageForm: Bool
  }

  public struct UserPrefix: Sendable, Equatable, Codable {
    public var exception: String
    public var prefix: String
  }

  struct File: Codable {
    var version: Int
    var description: String?
    var moduleAliases: [String: String]?
    var followupSkip: [Skip]?
    var kernelPrefixes: [KernelPrefix]?
    var userPrefixes: [UserPrefix]?
  }

  /// A skip rule ready to match: lower-cased once, split at its `*`s, as UTF-8 bytes. The
  /// bucket stage asks every frame of every dump against every rule, so matching must not
  /// lower-case or allocate per rule.
  struct CompiledSkip: Sendable {
    /// The pattern's pieces between `*`s; one piece means no wildcard.
    var pieces: [[UInt8]]
    /// Parsed `bugchecks`; nil when the rule applies to every crash.
    var codes: [UInt64]?

    init(_ rule: Skip) {
      pieces = rule.pattern.lowercased().utf8.split(
        separator: UInt8(ascii: "*"), omittingEmptySubsequences: false
      )
      .map(Array.init)
      codes = rule.bugchecks?.compactMap(BucketRules.hex)
    }

    func applies(to code: UInt64?) -> Bool {
      guard let codes else { return true }
      guard let code else { return false }
      return codes.contains(code)
    }
  }

  public var aliases: [String: String]
  public internal(set) var skips: [Skip] {
    didSet { compiledSkips = skips.map(CompiledSkip.init) }
  }
  private var compiledSkips: [CompiledSkip] = []
  public var kernelPrefixes: [CompiledKernelPrefix]
  public var userPrefixes: [UInt64: String]
  /// The first 12 hex digits of the SHA-256 of the rules file.
  public var version: String

  public static func == (lhs: BucketRules, rhs: BucketRules) -> Bool { lhs.version == rhs.version }

  /// Parses rules text; errors name the file and the entry.
  public init(data: Data, name: String) throws {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    let file: File
    do {
      file = try decoder.decode(File.self, from: data)
    } catch {
      throw BucketRulesError("\(name): not a bucketing rules file: \(error)")
    }
    guard file.version == 1 else {
      throw BucketRulesError("\(name): this crashsift reads rules version 1, found \(file.version)")
    }
    aliases = Dictionary(
      uniqueKeysWithValues: (file.moduleAliases ?? [:]).map { ($0.key.lowercased(), $0.value) })
    let skipRules = file.followupSkip ?? []
    for (index, rule) in skipRules.enumerated() {
      for code in rule.bugchecks ?? [] where Self.hex(code) == nil {
        throw BucketRulesError("\(name): followup_skip[\(index)].bugchecks: \(code) is not hex")
      }
    }
    skips = skipRules
    compiledSkips = skipRules.map(CompiledSkip.init)
    var kernel: [CompiledKernelPrefix] = []
    for (index, rule) in (file.kernelPrefixes ?? []).enumerated() {
      guard let code = Self.hex(rule.bugcheck) else {
        throw BucketRulesError(
          "\(name): kernel_prefixes[\(index)].bugcheck \(rule.bugcheck) is not hex")
      }
      var parameter: UInt64?
      if let text = rule.parameter1 {
        guard let value = Self.hex(text) else {
          throw BucketRulesError("\(name): kernel_prefixes[\(index)].parameter1 \(text) is not hex")
        }
        parameter = value
      }
      var third: UInt64?
      if let text = rule.parameter3 {
        guard let value = Self.hex(text) else {
          throw BucketRulesError("\(name): kernel_prefixes[\(index)].parameter3 \(text) is not hex")
        }
        third = value
      }
      if let culprit = rule.culpritParameter, !(1...4).contains(culprit) {
        throw BucketRulesError(
          "\(name): kernel_prefixes[\(index)].culprit_parameter \(culprit) is not 1–4")
      }
      if let form = rule.bucketForm, form != "image" {
        throw BucketRulesError(
          "\(name): kernel_prefixes[\(index)].bucket_form \(form): only \"image\" is known")
      }
      kernel.append(
        CompiledKernelPrefix(
          code: code, parameter1: parameter, parameter3: third, prefix: rule.prefix,
          culpritParameter: rule.culpritParameter.map { $0 - 1 },
          imageForm: rule.bucketForm == "image"))
    }
    kernelPrefixes = kernel
    var user: [UInt64: String] = [:]
    for (index, rule) in (file.userPrefixes ?? []).enumerated() {
      guard let code = Self.hex(rule.exception) else {
        throw BucketRulesError(
          "\(name): user_prefixes[\(index)].exception \(rule.exception) is not hex")
      }
      user[code] = rule.prefix
    }
    userPrefixes = user
    // Trailing blank lines do not change the rules, so they do not change the version.
    let text = String(decoding: data, as: UTF8.self)
    let content = Data(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)
    version = SHA256.hash(data: content).prefix(6).map { String(format: "%02x", $0) }.joined()
  }

  public static func load(path: String) throws -> BucketRules {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw BucketRulesError("cannot read the rules file \(path)")
    }
    return try BucketRules(data: data, name: path)
  }

  static func hex(_ text: String) -> UInt64? {
    let digits = text.lowercased().hasPrefix("0x") ? String(text.dropFirst(2)) : text
    return UInt64(digits, radix: 16)
  }

  /// The module name buckets use: the alias, else the image name without its extension.
  public func moduleName(_ image: String) -> String {
    if let alias = aliases[image.lowercased()] { return alias }
    guard let dot = image.lastIndex(of: "."), dot != image.startIndex else { return image }
    return String(image[..<dot])
  }

  /// The first skip rule matching `module!function` (the module as alias and as image name); a
  /// frame without a function name is `module!` and `module+` (so `nt+*` names the kernel's
  /// frames when its symbols are missing).
  public func skip(image: String, function: String?, bugcheck: UInt64? = nil) -> Skip? {
    let names = [moduleName(image), image]
    var texts: [[UInt8]] = []
    texts.reserveCapacity(4)
    for name in names {
      if let function {
        texts.append(Array("\(name)!\(function)".lowercased().utf8))
      } else {
        let lower = name.lowercased()
        texts.append(Array((lower + "!").utf8))
        texts.append(Array((lower + "+").utf8))
      }
    }
    for (index, rule) in compiledSkips.enumerated() where rule.applies(to: bugcheck) {
      if texts.contains(where: { Self.matches(rule.pieces, $0) }) { return skips[index] }
    }
    return nil
  }

  /// Glob with `*` only, on a pattern already split at its `*`s; compares UTF-8 bytes.
  static func matches(_ pieces: [[UInt8]], _ text: [UInt8]) -> Bool {
    guard let first = pieces.first, let last = pieces.last else { return text.isEmpty }
    guard pieces.count > 1 else { return first == text }
    guard text.starts(with: first) else { return false }
    var position = first.count
    for piece in pieces.dropFirst().dropLast() where !piece.isEmpty {
      guard let found = find(piece, in: text, from: position) else { return false }
      position = found + piece.count
    }
    // The last piece may not overlap what the middle ones matched.
    guard text.count - position >= last.count else { return false }
    return text[(text.count - last.count)...].elementsEqual(last)
  }

  /// Glob with `*` only (tests and one-off callers).
  static func matches(_ pattern: String, _ text: String) -> Bool {
    let pieces = pattern.utf8.split(separator: UInt8(ascii: "*"), omittingEmptySubsequences: false)
      .map(Array.init)
    return matches(pieces, Array(text.utf8))
  }

  /// The first index at or after `start` where `piece` occurs in `text`.
  private static func find(_ piece: [UInt8], in text: [UInt8], from start: Int) -> Int? {
    guard text.count >= piece.count, start <= text.count - piece.count else { return nil }
    for candidate in start...(text.count - piece.count)
    where text[candidate] == piece[0]
      && text[candidate..<(candidate + piece.count)].elementsEqual(piece)
    {
      return candidate
    }
    return nil
  }
}

/// A rules file that cannot be used, with what to fix.
public struct BucketRulesError: Error, CustomStringConvertible, Sendable {
  public let description: String
  init(_ description: String) { self.description = description }
}
