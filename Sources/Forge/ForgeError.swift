/// Why a scenario could not be forged, in words that say what to fix.
public struct ForgeError: Error, CustomStringConvertible, Sendable {
  public let description: String
  init(_ description: String) { self.description = description }
}
