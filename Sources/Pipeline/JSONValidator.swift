import Foundation

/// Reads a JSON document into typed values while remembering where it is, so every error names
/// the file, the key path (`batches[2].archives[0]`), what was expected and what was found.
struct JSONValidator {
  let file: String
  private(set) var errors: [String] = []

  init(file: String) { self.file = file }

  static func parse(data: Data, file: String) throws(ConfigurationError) -> JSONValue {
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
  mutating func dropErrors(prefix: String) {
    errors.removeAll { $0.hasPrefix(prefix) }
  }

  mutating func fail(_ path: String, _ message: String) {
    errors.append(path.isEmpty ? message : "\(path): \(message)")
  }

  mutating func object(
    _ value: JSONValue?, _ path: String, allowed: Set<String>
  ) -> [String: JSONValue]? {
    guard let value else { return nil }
    guard case .object(let object) = value else {
      fail(path, "expected an object, found \(value.summary)")
      return nil
    }
    for key in object.keys.sorted() where !allowed.contains(key) {
      let keyPath = path.isEmpty ? key : "\(path).\(key)"
      if let hint = allowed.sorted().first(where: { Self.closeEnough($0, key) }) {
        fail(keyPath, "unknown key (did you mean \"\(hint)\"?)")
      } else {
        fail(keyPath, "unknown key; expected one of: \(allowed.sorted().joined(separator: ", "))")
      }
    }
    return object
  }

  mutating func array(_ value: JSONValue?, _ path: String) -> [JSONValue]? {
    guard let value else { return nil }
    guard case .array(let array) = value else {
      fail(path, "expected an array, found \(value.summary)")
      return nil
    }
    return array
  }

  mutating func string(_ value: JSONValue?, _ path: String) -> String? {
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

  mutating func integer(_ value: JSONValue?, _ path: String, minimum: Int64 = 0) -> Int64? {
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

  mutating func number(_ value: JSONValue?, _ path: String, minimum: Double) -> Double? {
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

  mutating func date(_ value: JSONValue?, _ path: String) -> String? {
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

  mutating func require(_ object: [String: JSONValue], _ key: String, _ path: String) -> JSONValue? {
    guard let value = object[key] else {
      fail(path.isEmpty ? "" : path, "missing required key \"\(key)\"")
      return nil
    }
    return value
  }

  /// Keys one edit apart, or differing only in case, separators or a plural s.
  static func closeEnough(_ a: String, _ b: String) -> Bool {
    let norm = { (s: String) in s.lowercased().replacingOccurrences(of: "-", with: "_") }
    let x = Array(norm(a))
    let y = Array(norm(b))
    if x == y { return true }
    guard abs(x.count - y.count) <= 1 else { return false }
    var previous = Array(0...y.count)
    for i in 1...max(x.count, 1) where !x.isEmpty {
      var current = [i] + Array(repeating: 0, count: y.count)
      for j in stride(from: 1, through: y.count, by: 1) {
        current[j] = min(
          previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return (previous.last ?? 99) <= 1
  }
}
