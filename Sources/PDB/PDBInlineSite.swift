/// An S_INLINESITE: code of `name` inlined into a procedure, as address ranges with lines
/// (reference/pdb-and-symbols.md §2.6).
public struct PDBInlineSite: Sendable, Equatable {
  /// A run of the site's code: `length` bytes at `start` (relative to the enclosing procedure's
  /// start) come from `line` of `file`.
  public struct Range: Sendable, Equatable {
    public var start: UInt32
    public var length: UInt32
    public var line: UInt32
    public var file: String
  }

  /// The enclosing procedure's address.
  public var segment: UInt16
  public var procedureOffset: UInt32
  /// 1 for a site directly inside the procedure, 2 for a site inside that one, …
  public var depth: Int
  /// The inlinee's IPI index (LF_FUNC_ID / LF_MFUNC_ID).
  public var inlinee: UInt32
  public var name: String
  public var ranges: [Range]
}
