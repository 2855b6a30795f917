/// An S_*PROC32 record: a function with its length.
public struct PDBProcedure: Sendable, Equatable {
  public var name: String
  public var segment: UInt16
  public var offset: UInt32
  public var length: UInt32
  /// S_GPROC32 (0x1110) or S_LPROC32 (0x110F), or their _ID / DPC forms.
  public var kind: UInt16 = 0x1110
  /// The function's type (an LF_PROCEDURE or LF_MFUNCTION in the TPI stream); 0 for code with no
  /// type, such as assembly procedures.
  public var typeIndex: UInt32 = 0

  /// File-local (S_LPROC32 and its _ID and DPC forms).
  public var isLocal: Bool { kind == 0x110F || kind == 0x1146 || kind == 0x1155 }
}
