/// A module as the walker sees it: where it is loaded. What it knows about the module's code is
/// loaded on first use (`ModuleCode`, through `ModuleMap`), so a walk touches only the modules on
/// its stack.
public struct UnwindModule: Sendable, Equatable {
  public var name: String
  public var base: UInt64
  public var size: UInt64
  /// An unloaded module's former range: frames there are named, never unwound through.
  public var isUnloaded: Bool

  public init(name: String, base: UInt64, size: UInt64, isUnloaded: Bool = false) {
    self.name = name
    self.base = base
    self.size = size
    self.isUnloaded = isUnloaded
  }

  public func contains(_ address: UInt64) -> Bool { address >= base && address - base < size }
}
