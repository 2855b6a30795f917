/// An x86 stack-frame description from a PDB: an FPO_DATA record (DBI debug stream 0) or a
/// FRAMEDATA record (stream 9, "new FPO"), as breakpad writes them in `STACK WIN` records.
///
/// FPO_DATA (winnt.h, 16 bytes): ulOffStart, cbProcSize, cdwLocals (dwords), cdwParams (u16,
/// dwords), then cbProlog:8, cbRegs:3, fHasSEH:1, fUseBP:1, reserved:1, cbFrame:2. FRAMEDATA
/// (cvinfo.h, 32 bytes): ulRvaStart, cbBlock, cbLocals, cbParams, cbStkMax, frameFunc (a /names
/// offset of the program string), cbProlog (u16), cbSavedRegs (u16), flags.
public struct PDBFrameRecord: Sendable, Equatable {
  /// 0 for FPO_DATA, 4 for FRAMEDATA (breakpad's STACK WIN type).
  public var type: Int
  /// The RVA in the image as linked (before OMAP).
  public var rva: UInt32
  public var codeSize: UInt32
  public var prologSize: UInt32
  public var parameterSize: UInt32
  public var savedRegisterSize: UInt32
  public var localSize: UInt32
  public var maxStackSize: UInt32
  /// The postfix program that recovers the caller's registers (FRAMEDATA), if any.
  public var program: String?
  /// FPO: whether the function sets up EBP (or keeps it saved) — see `PDBFile.frameRecords`.
  public var allocatesBasePointer: Bool
}
