import Foundation

/// The signature lists of Socorro's signature generator (pipelines/rules/socorro/): regular
/// expressions for irrelevant and prefix frames, exact sentinel names, and the functions that keep
/// their line number. Each regex list is matched as siggen does: one alternation, anchored at the
/// start of the frame (Python's `re.match`).
public struct SocorroLists: @unchecked Sendable {
  // NSRegularExpression is immutable and documented thread-safe for matching.
  let irrelevant: NSRegularExpression
  let prefix: NSRegularExpression
  let lineNumbers: NSRegularExpression
  let sentinels: [String]

  /// Lists from a directory holding siggen's list files.
  public init(directory: String) throws {
    func read(_ name: String) throws -> String {
      let path = "\(directory)/\(name)"
      guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
        throw BucketRulesError("cannot read the Socorro list \(path)")
      }
      return text
    }
    try self.init(
      irrelevant: read("irrelevant_signature_re.txt"), prefix: read("prefix_signature_re.txt"),
      sentinels: read("signature_sentinels.txt"),
      lineNumbers: read("signatures_with_line_numbers_re.txt"), name: directory)
  }

  /// Lists from the texts of the four files.
  init(irrelevant: String, prefix: String, sentinels: String, lineNumbers: String, name: String)
    throws
  {
    func lines(_ text: String) -> [String] {
      text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }
    func regex(_ text: String, _ file: String) throws -> NSRegularExpression {
      let pattern = lines(text).map(Self.icuPattern).joined(separator: "|")
      do {
        return try NSRegularExpression(pattern: pattern.isEmpty ? "(?!)" : pattern)
      } catch {
        throw BucketRulesError("\(name)/\(file): not a valid regular expression list")
      }
    }
    self.irrelevant = try regex(irrelevant, "irrelevant_signature_re.txt")
    self.prefix = try regex(prefix, "prefix_signature_re.txt")
    self.lineNumbers = try regex(lineNumbers, "signatures_with_line_numbers_re.txt")
    self.sentinels = lines(sentinels)
  }

  /// The shipped lists (pipelines/rules/socorro/), compiled in; nil only if they were broken,
  /// which the tests rule out.
  public static let defaults: SocorroLists? = try? SocorroLists(
    irrelevant: irrelevantSignatureRe, prefix: prefixSignatureRe, sentinels: signatureSentinels,
    lineNumbers: signaturesWithLineNumbersRe, name: "built-in Socorro lists")

  /// Python's `re` reads a brace that does not form a quantifier (`{{closure}}`) as a literal;
  /// ICU rejects it. Such braces are escaped; `{n}`, `{n,}` and `{n,m}` stay quantifiers.
  static func icuPattern(_ python: String) -> String {
    let characters = Array(python)
    var out = ""
    var index = 0
    while index < characters.count {
      let character = characters[index]
      if character == "\\", index + 1 < characters.count {
        out.append(character)
        out.append(characters[index + 1])
        index += 2
        continue
      }
      if character == "{" {
        var end = index + 1
        while end < characters.count, characters[end].isNumber || characters[end] == "," {
          end += 1
        }
        let body = String(characters[(index + 1)..<min(end, characters.count)])
        if end < characters.count, characters[end] == "}", let first = body.first, first.isNumber {
          out += "{" + body + "}"
          index = end + 1
          continue
        }
        out += "\\{"
      } else if character == "}" {
        out += "\\}"
      } else {
        out.append(character)
      }
      index += 1
    }
    return out
  }

  static func matches(_ regex: NSRegularExpression, _ text: String) -> Bool {
    regex.firstMatch(
      in: text, options: [.anchored], range: NSRange(text.startIndex..., in: text)) != nil
  }
}
