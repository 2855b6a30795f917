/// A symbol-server setting that cannot be used, with what to fix.
public struct SymbolServerError: Error, Sendable, CustomStringConvertible {
  public let description: String

  public init(_ description: String) { self.description = description }
}
