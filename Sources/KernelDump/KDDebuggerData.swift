import ByteReader

/// The fields crashsift uses from `KDDEBUGGER_DATA64` (offsets: reference/kernel-dumps.md §2.1,
/// Microsoft's `DEBUG_DATA_*` constants).
public struct KDDebuggerData: Sendable, Equatable {
  public var ownerTag: String
  public var size: UInt32
  public var kernBase: UInt64
  public var psLoadedModuleList: UInt64
  public var psActiveProcessHead: UInt64
  public var kiProcessorBlock: UInt64
  public var offsetKThreadTeb: UInt16
  public var offsetKThreadApcProcess: UInt16
  public var sizeEProcess: UInt16
  public var sizePrcb: UInt16
  public var offsetPrcbCurrentThread: UInt16
  public var offsetPrcbProcStateContext: UInt16
  public var sizeEThread: UInt16
  public var offsetPcrContainedPrcb: UInt16
  public var offsetPrcbContext: UInt16
  /// Structure offsets the kernel publishes for debuggers (0 = not filled in); with the table in
  /// `KernelTypeLayout` they are how processes and threads are read without the nt PDB.
  public var offsetKThreadKernelStack: UInt16 = 0
  public var offsetKThreadInitialStack: UInt16 = 0
  public var offsetKThreadState: UInt16 = 0
  public var offsetEprocessPeb: UInt16 = 0
  public var offsetEprocessParentCID: UInt16 = 0
  public var offsetEprocessDirectoryTableBase: UInt16 = 0
  /// `OffsetKThreadStackLimit`/`StackBase` (u32 at 0x340/0x344), present when `size` covers them.
  public var offsetKThreadStackLimit: UInt32 = 0
  public var offsetKThreadStackBase: UInt32 = 0

  init(_ r: ByteReader) throws(ParseError) {
    let w = "KDDEBUGGER_DATA64"
    let tag = try r.array(at: 0x10, count: 4, w)
    ownerTag = String(decoding: tag, as: UTF8.self)
    guard ownerTag == "KDBG" else {
      throw ParseError(
        w, offset: r.base + 0x10, "owner tag is \(tag), not KDBG (encoded or not a KDBG)")
    }
    size = try r.u32(at: 0x14, w)
    kernBase = try r.u64(at: 0x18, w)
    psLoadedModuleList = try r.u64(at: 0x48, w)
    psActiveProcessHead = try r.u64(at: 0x50, w)
    kiProcessorBlock = try r.u64(at: 0x218, w)
    offsetKThreadTeb = try r.u16(at: 0x29A, w)
    offsetKThreadApcProcess = try r.u16(at: 0x2A0, w)
    sizeEProcess = try r.u16(at: 0x2A8, w)
    sizePrcb = try r.u16(at: 0x2B0, w)
    offsetPrcbCurrentThread = try r.u16(at: 0x2B4, w)
    offsetPrcbProcStateContext = try r.u16(at: 0x2BC, w)
    sizeEThread = try r.u16(at: 0x2C0, w)
    offsetPcrContainedPrcb = try r.u16(at: 0x2E6, w)
    offsetPrcbContext = try r.u16(at: 0x338, w)
    // A block whose Header.Size stops before these fields has no values there (older kernels).
    if size >= 0x2B0 {
      offsetKThreadKernelStack = try r.u16(at: 0x29C, w)
      offsetKThreadInitialStack = try r.u16(at: 0x29E, w)
      offsetKThreadState = try r.u16(at: 0x2A2, w)
      offsetEprocessPeb = try r.u16(at: 0x2AA, w)
      offsetEprocessParentCID = try r.u16(at: 0x2AC, w)
      offsetEprocessDirectoryTableBase = try r.u16(at: 0x2AE, w)
    }
    if size >= 0x348, let limit = try? r.u32(at: 0x340, w), let base = try? r.u32(at: 0x344, w) {
      offsetKThreadStackLimit = limit
      offsetKThreadStackBase = base
    }
  }

  /// 32-bit kernels store their pointers here sign-extended (0xFFFFFFFF8xxxxxxx); crashsift keeps
  /// 32-bit addresses as their 32 bits (`PagingMode.canonical`).
  mutating func narrowPointers() {
    kernBase &= 0xFFFF_FFFF
    psLoadedModuleList &= 0xFFFF_FFFF
    psActiveProcessHead &= 0xFFFF_FFFF
    kiProcessorBlock &= 0xFFFF_FFFF
  }
}
