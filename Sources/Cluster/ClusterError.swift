/// A cluster command that cannot go on, with what to do about it.
public struct ClusterError: Error, CustomStringConvertible, Sendable {
  public let description: String

  public init(_ description: String) { self.description = description }
}
