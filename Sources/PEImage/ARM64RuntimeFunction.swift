import ByteReader

/// An ARM64 `.pdata` entry (Microsoft "ARM64 exception handling"): the function start and either
/// the RVA of its `.xdata` record or, when the low two bits (Flag) are 1 or 2, packed unwind data.
public struct ARM64RuntimeFunction: Sendable, Equatable {
  public var begin: UInt32
  public var unwindData: UInt32

  public init(begin: UInt32, unwindData: UInt32) {
    self.begin = begin
    self.unwindData = unwindData
  }

  /// 0: `unwindData` is an `.xdata` RVA; 1: packed; 2: packed, a fragment without prologue; 3:
  /// reserved.
  public var flag: UInt32 { unwindData & 3 }

  /// Packed unwind data, decoded (flag 1 or 2).
  public struct Packed: Sendable, Equatable {
    /// Function length in bytes.
    public var functionLength: UInt32
    /// Number of saved FP registers d8… minus one (0 = none saved… see `fpRegisters`).
    public var regF: UInt32
    /// Number of saved integer registers x19….
    public var regI: UInt32
    /// Parameter registers x0–x7 homed.
    public var homed: Bool
    /// 0: no LR save; 1: LR saved with the integer registers; 2: PAC-signed LR; 3: chained
    /// frame (x29/x30 pair, x29 set).
    public var cr: UInt32
    /// Total frame size in bytes.
    public var frameSize: UInt32
  }

  public var packed: Packed? {
    guard flag == 1 || flag == 2 else { return nil }
    return Packed(
      functionLength: ((unwindData >> 2) & 0x7FF) * 4, regF: (unwindData >> 13) & 7,
      regI: (unwindData >> 16) & 0xF, homed: (unwindData >> 20) & 1 == 1,
      cr: (unwindData >> 21) & 3, frameSize: ((unwindData >> 23) & 0x1FF) * 16)
  }
}
