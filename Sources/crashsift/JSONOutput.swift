import Foundation
import Interface

/// Every JSON document the CLI prints: stable text (sorted keys, pretty, slashes as they are) with
/// its `schema` identifier and the `crashsift` versions at the top level.
enum JSONOutput {
  static func encoder(snakeCase: Bool) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
    return encoder
  }

  /// `value` encoded with its stamp. `snakeCase`: whether the value's own keys are converted
  /// (the stamp's members are spelled out, so they read the same either way).
  static func text<Value: Encodable>(
    _ value: Value, schema: SchemaID, versions: VersionInfo, snakeCase: Bool
  ) throws -> String {
    let data = try encoder(snakeCase: snakeCase).encode(
      Stamped(value, schema: schema, versions: versions))
    return String(decoding: data, as: UTF8.self)
  }

  /// A JSON object already built as data (e.g. merged from parts) with the stamp added.
  static func stamp(_ json: Data, schema: SchemaID, versions: VersionInfo) throws -> Data {
    guard var object = try JSONSerialization.jsonObject(with: json) as? [String: Any] else {
      return json
    }
    object["schema"] = schema.identifier
    object["crashsift"] = try JSONSerialization.jsonObject(
      with: encoder(snakeCase: false).encode(versions))
    return try JSONSerialization.data(
      withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
  }
}
