/// A structure in a file could not be read: what, where, and why.
///
/// Parsers read hostile bytes, so every failure is a value with a message a user can act on,
/// never a trap.
public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
  /// What was being read, e.g. `ModuleList stream`.
  public var context: String
  /// File offset of the problem, when known.
  public var offset: Int?
  /// Why it failed.
  public var reason: String

  public init(_ context: String, offset: Int? = nil, _ reason: String) {
    self.context = context
    self.offset = offset
    self.reason = reason
  }

  public var description: String {
    if let offset { return "\(context) at offset 0x\(String(offset, radix: 16)): \(reason)" }
    return "\(context): \(reason)"
  }

  /// The same error, read inside a larger structure.
  public func within(_ outer: String) -> ParseError {
    ParseError("\(outer): \(context)", offset: offset, reason)
  }
}
