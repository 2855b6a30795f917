/// An exported symbol.
public struct PEExport: Sendable, Equatable {
  public var ordinal: UInt32
  /// `nil` for exports by ordinal only.
  public var name: String?
  public var rva: UInt32
  /// `DLL.Function` when the export forwards to another module.
  public var forwarder: String?
}
