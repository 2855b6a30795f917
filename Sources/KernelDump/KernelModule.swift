/// A loaded kernel module (driver), from the triage driver list or PsLoadedModuleList.
public struct KernelModule: Sendable, Equatable, Codable {
  /// The base name, e.g. `amdppm.sys`.
  public var name: String
  /// The full path, e.g. `\SystemRoot\System32\drivers\amdppm.sys`.
  public var path: String
  public var base: UInt64
  public var size: UInt32
  public var checksum: UInt32
  public var timeDateStamp: UInt32

  public init(
    name: String, path: String, base: UInt64, size: UInt32, checksum: UInt32, timeDateStamp: UInt32
  ) {
    self.name = name
    self.path = path
    self.base = base
    self.size = size
    self.checksum = checksum
    self.timeDateStamp = timeDateStamp
  }

  /// One past the last byte (saturating).
  public var end: UInt64 {
    let (sum, overflow) = base.addingReportingOverflow(UInt64(size))
    return overflow ? .max : sum
  }

  /// Whether `address` lies in the image.
  public func contains(_ address: UInt64) -> Bool { address >= base && address < end }

  /// The symbol-store directory key of the image file: `%08X%x` of timestamp and size.
  public var codeIdentifier: String {
    let stamp = String(timeDateStamp, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 8 - stamp.count)) + stamp + String(size, radix: 16)
  }
}
