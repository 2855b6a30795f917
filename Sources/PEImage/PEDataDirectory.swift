/// A data directory entry: `{RVA, size}`.
public struct PEDataDirectory: Sendable, Equatable {
  public var rva: UInt32
  public var size: UInt32

  /// Data directory indices (PE/COFF specification).
  public static let export = 0
  public static let `import` = 1
  public static let resource = 2
  public static let exception = 3
  public static let certificate = 4
  public static let baseRelocation = 5
  public static let debug = 6
}
