import ByteReader

/// A structure's data members as a PDB's type records give them (what WinDbg's `dt nt!_EPROCESS`
/// lists): name, byte offset and type index. Record layouts: cvinfo.h `lfClass`/`lfStructure`
/// (LF_STRUCTURE 0x1505, LF_CLASS 0x1504: count, property, field list, derived, vshape, size,
/// name), `lfUnion` (0x1506), LF_FIELDLIST (0x1203) and its subrecords `lfMember` (0x150D: attr,
/// type, offset, name) and `lfIndex` (0x1404: a continuation list); reference/pdb-and-symbols.md.
public struct PDBStructure: Sendable, Equatable {
  /// One data member (LF_MEMBER).
  public struct Member: Sendable, Equatable {
    /// The member's name as declared.
    public var name: String
    /// Its byte offset from the start of the structure.
    public var offset: Int
    /// Its type index in the TPI stream.
    public var type: UInt32
  }

  /// The structure's name (`_EPROCESS`).
  public var name: String
  /// `sizeof` the structure, as the record gives it.
  public var size: Int
  /// The data members in declaration order.
  public var members: [Member]

  /// The first member named `name`.
  public func member(_ name: String) -> Member? { members.first { $0.name == name } }
}
