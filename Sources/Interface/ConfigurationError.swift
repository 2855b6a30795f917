/// A manifest or pipeline file that cannot be used; every problem is listed, each with its place.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
  /// The file the problems are in.
  public var file: String
  /// One line per problem, e.g. `batches[1].archives[0]: expected a string, found the number 3`.
  public var messages: [String]

  public init(file: String, messages: [String]) {
    self.file = file
    self.messages = messages
  }

  public var description: String {
    if messages.count == 1, let only = messages.first { return "\(file): \(only)" }
    return "\(file): \(messages.count) problems:\n"
      + messages.map { "  - \($0)" }.joined(separator: "\n")
  }
}
