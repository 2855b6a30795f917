/// An entry of the triage dump's unloaded-driver list (names are truncated to 12 characters).
public struct UnloadedDriver: Sendable, Equatable, Codable {
  public var name: String
  public var start: UInt64
  public var end: UInt64
}
