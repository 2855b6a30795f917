import Foundation

/// Reads a JSON document into typed values while remembering where it is, so every error names
/// the file, the key path (`batches[2].archives[0]`), what was expected and what was found.
public struct JSONValidator {
  public let file: String
  public private(set) var errors: [String] = []

  public init(file: String) { self.file = file }

  public static func parse(data: Data, file: String) throws(ConfigurationError) -> JSONValue {
    do {
      return try JSONDecoder().decode(JSONValue.self, from: data)
    } catch let DecodingError.dataCorrupted(context) {
      let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey]
      throw ConfigurationError(
        file: file,
        messages: ["not valid JSON: \(underlying as? String ?? context.debugDescription)"])
    } catch {
      throw ConfigurationError(file: file, messages: ["not valid JSON: \(error)"])
    }
  }

  /// Forgets errors under a key path (for maps whose keys are free-form).
  public mutating func dropErrors(prefix: String) {
    errors.removeAll { $0.hasPrefix(prefix) }
  }

  public mutating func fail(_ path: String, _ message: String) {
    errors.append(path.isEmpty ? message : "\(path): \(message)")
  }

  public mutating func object(
    _ value: JSONValue?, _ path: String, allowed: Set<String>
  ) -> [String: JSONValue]? {
    guard let value else { return nil }
    guard case .object(let object) = value else {
      fail(path, "expected an object, found \(value.summary)")
      return nil
    }
    for key in object.keys.sorted() where !allowed.contains(key) {
      let keyPath = path.isEmpty ? key : "\(path).\(key)"
      let candidates = allowed.compactMap { name in Self.typoDistance(name, key).map { (name, $0) }
      }
      if let hint = candidates.min(by: { ($0.1, $0.0) < ($1.1, $1.0) })?.0 {
        fail(keyPath, "unknown key (did you mean \"\(hint)\"?)")
      } else {
        fail(keyPath, "unknown key; expected one of: \(allowed.sorted().joined(separator: ", "))")
      }
    }
    return object
  }

  public mutating func array(_ value: JSONValue?, _ path: String) -> [JSONValue]? {
    guard let value else { return nil }
    guard case .array(let array) = value else {
      fail(path, "expected an array, found \(value.summary)")
      return nil
    }
    return array
  }

  public mutating func string(_ value: JSONValue?, _ path: String) -> String? {
    guard let value else { return nil }
    guard case .string(let string) = value else {
      fail(path, "expected a string, found \(value.summary)")
      return nil
    }
    guard !string.isEmpty else {
      fail(path, "expected a non-empty string")
      return nil
    }
    return string
  }

  public mutating func bool(_ value: JSONValue?, _ path: String) -> Bool? {
    guard let value else { return nil }
    guard case .bool(let flag) = value else {
      fail(path, "expected true or false, found \(value.summary)")
      return nil
    }
    return flag
  }

  public mutating func integer(_ value: JSONValue?, _ path: String, minimum: Int64 = 0) -> Int64? {
    guard let value else { return nil }
    guard case .integer(let integer) = value else {
      fail(path, "expected a whole number, found \(value.summary)")
      return nil
    }
    guard integer >= minimum else {
      fail(path, "expected a number of at least \(minimum), found \(integer)")
      return nil
    }
    return integer
  }

  public mutating func number(_ value: JSONValue?, _ path: String, minimum: Double) -> Double? {
    guard let value else { return nil }
    let number: Double
    switch value {
    case .integer(let integer): number = Double(integer)
    case .number(let double): number = double
    default:
      fail(path, "expected a number, found \(value.summary)")
      return nil
    }
    guard number >= minimum else {
      fail(path, "expected a number of at least \(minimum), found \(number)")
      return nil
    }
    return number
  }

  public mutating func date(_ value: JSONValue?, _ path: String) -> String? {
    guard let string = string(value, path) else { return nil }
    let parts = string.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
      let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
      year >= 1990, (1...12).contains(month), (1...31).contains(day)
    else {
      fail(path, "expected a date as YYYY-MM-DD, found \"\(string)\"")
      return nil
    }
    return string
  }

  public mutating func require(_ object: [String: JSONValue], _ key: String, _ path: String)
    -> JSONValue?
  {
    guard let value = object[key] else {
      fail(path.isEmpty ? "" : path, "missing required key \"\(key)\"")
      return nil
    }
    return value
  }

  /// How far apart two keys are, when close enough to be a typo: one differs from the other by a prefix (`max_entry` for
  /// `max_entries`), case or separators, or by at most one edit (two for longer keys), where a
  /// swap of neighbours counts as one edit.
  public static func typoDistance(_ a: String, _ b: String) -> Int? {
    let normalize = { (s: String) in Array(s.lowercased().replacingOccurrences(of: "-", with: "_"))
    }
    let x = normalize(a)
    let y = normalize(b)
    if x == y { return 0 }
    if min(x.count, y.count) >= 4 && (x.starts(with: y) || y.starts(with: x)) {
      return abs(x.count - y.count)
    }
    let allowed = min(x.count, y.count) >= 6 ? 2 : 1
    guard abs(x.count - y.count) <= allowed, !x.isEmpty, !y.isEmpty else { return nil }
    // Optimal string alignment distance.
    var table = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
    for i in 0...x.count { table[i][0] = i }
    for j in 0...y.count { table[0][j] = j }
    for i in 1...x.count {
      for j in 1...y.count {
        let cost = x[i - 1] == y[j - 1] ? 0 : 1
        table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
        if i > 1 && j > 1 && x[i - 1] == y[j - 2] && x[i - 2] == y[j - 1] {
          table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
        }
      }
    }
    return table[x.count][y.count] <= allowed ? table[x.count][y.count] : nil
  }
}
