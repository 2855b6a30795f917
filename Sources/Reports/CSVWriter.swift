/// RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, quote or line
/// break (quotes doubled). A text field that starts with `=`, `+`, `-` or `@` (and is not a number)
/// is prefixed with `'`, so spreadsheets show it as text instead of evaluating it (OWASP "CSV
/// injection"); crash data holds strings from untrusted dumps.
public struct CSVWriter: Sendable {
  public private(set) var text = ""

  public init(header: [String]) { append(header) }

  public mutating func append(_ fields: [String]) {
    text += fields.map(Self.field).joined(separator: ",") + "\r\n"
  }

  static func field(_ raw: String) -> String {
    var value = raw
    if let first = value.first, "=+-@".contains(first), Double(value) == nil {
      value = "'" + value
    }
    if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
      return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return value
  }
}
