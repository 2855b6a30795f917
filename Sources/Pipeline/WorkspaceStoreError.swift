/// A workspace whose store cannot be linked as asked.
public struct WorkspaceStoreError: Error, CustomStringConvertible, Sendable {
  public let description: String

  public init(_ description: String) { self.description = description }
}
