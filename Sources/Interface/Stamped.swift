/// A JSON document with its `schema` identifier and the `crashsift` versions beside its own
/// members, at the top level, so existing members keep their paths.
public struct Stamped<Document: Encodable>: Encodable {
  public var schema: SchemaID
  public var versions: VersionInfo
  public var document: Document

  public init(_ document: Document, schema: SchemaID, versions: VersionInfo) {
    self.document = document
    self.schema = schema
    self.versions = versions
  }

  enum Key: String, CodingKey {
    case schema, crashsift
  }

  public func encode(to encoder: any Encoder) throws {
    try document.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(schema.identifier, forKey: .schema)
    try container.encode(versions, forKey: .crashsift)
  }
}
