/// The result of a virtual read that tolerates holes: what is present, and what is not.
public struct VirtualRead: Sendable, Equatable {
  /// The bytes, with zeros where memory is not present.
  public var bytes: [UInt8]
  /// Start addresses of the 4 KiB pages (or, in triage dumps, the first missing address of each
  /// gap) that are not present.
  public var missing: [UInt64]

  /// Whether every byte was present.
  public var isComplete: Bool { missing.isEmpty }
}
