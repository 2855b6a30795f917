import Foundation

/// A parsed JSON value that keeps booleans, integers and decimals apart, so validation can say
/// exactly what it found.
public indirect enum JSONValue: Decodable, Equatable, Sendable {
  case null
  case bool(Bool)
  case integer(Int64)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int64.self) {
      self = .integer(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  /// How an error message names this value.
  public var summary: String {
    switch self {
    case .null: return "null"
    case .bool(let value): return "the boolean \(value)"
    case .integer(let value): return "the number \(value)"
    case .number(let value): return "the number \(value)"
    case .string(let value): return "the string \"\(value)\""
    case .array: return "an array"
    case .object: return "an object"
    }
  }
}
