/// An S_*PROC32 record: a function with its length.
public struct PDBProcedure: Sendable, Equatable {
  public var name: String
  public var segment: UInt16
  public var offset: UInt32
  public var length: UInt32
}
