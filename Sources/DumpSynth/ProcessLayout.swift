/// Field offsets of EPROCESS and ETHREAD/KTHREAD that `SyntheticKernel.writeProcesses` writes,
/// kept apart from the reader's table (KernelDump's `KernelLayoutTable`) so that tests compare two
/// sources.
public struct ProcessLayout: Sendable {
  public var processID: Int
  public var activeProcessLinks: Int
  public var parentProcessID: Int
  public var imageFileName: Int
  public var peb: Int
  public var directoryTableBase: Int
  public var objectTable: Int
  /// EPROCESS.Session; the session's SessionId is at +0x8 of what it points to.
  public var session: Int
  public var createTime: Int
  /// KPROCESS.ThreadListHead → KTHREAD.ThreadListEntry, and EPROCESS.ThreadListHead →
  /// ETHREAD.ThreadListEntry (both written, as the kernel keeps both).
  public var threadListHead: Int
  public var threadListEntry: Int
  public var executiveThreadListHead: Int
  public var executiveThreadListEntry: Int
  public var clientID: Int
  public var teb: Int
  public var state: Int
  public var waitReason: Int
  public var waitMode: Int
  public var priority: Int
  public var kernelTime: Int
  public var userTime: Int
  public var win32StartAddress: Int
  public var initialStack: Int
  public var stackLimit: Int
  public var stackBase: Int
  public var kernelStack: Int
  public var apcProcess: Int
  public var eprocessSize: Int
  public var ethreadSize: Int
  /// HANDLE_TABLE (Windows 8 and later): the handle value its pages end at, and TableCode.
  public var nextHandleNeedingPool: Int = 0
  public var tableCode: Int = 8
  /// OBJECT_HEADER: the encoded type index, and where the object's body starts.
  public var objectHeaderTypeIndex: Int
  public var objectHeaderBody: Int
  /// OBJECT_TYPE.Name (a UNICODE_STRING).
  public var objectTypeName: Int
  /// ARM64: KTHREAD.SwitchFrame, where a waiting thread's Fp (+0x10) and Return (+0x18) go
  /// instead of a switch frame at KernelStack.
  public var switchFrame: Int?
}

extension ProcessLayout {
  /// Windows 10 2004–22H2 (19041–19045) x64, the build the synthetic kernels report. Each
  /// offset is in docs/kernel-offsets/offsets.json with its sources (Geoff Chappell's structure
  /// pages, ntdiff/headers' pdbex output of Microsoft's PDBs, Bitdefender hvmi, and the values a
  /// real 19041 dump's KDDEBUGGER_DATA64 publishes, reference/kernel-dumps.md §2.1); sizes are
  /// that dump's SizeEProcess and SizeEThread.
  public static let x64Build19041 = ProcessLayout(
    processID: 0x440, activeProcessLinks: 0x448, parentProcessID: 0x540, imageFileName: 0x5A8,
    peb: 0x550, directoryTableBase: 0x28, objectTable: 0x570, session: 0x558, createTime: 0x468,
    threadListHead: 0x30, threadListEntry: 0x2F8, executiveThreadListHead: 0x5E0,
    executiveThreadListEntry: 0x4E8, clientID: 0x478, teb: 0xF0, state: 0x184,
    waitReason: 0x283, waitMode: 0x187, priority: 0xC3, kernelTime: 0x28C, userTime: 0x2DC,
    win32StartAddress: 0x4D0, initialStack: 0x28, stackLimit: 0x30, stackBase: 0x38,
    kernelStack: 0x58, apcProcess: 0xB8, eprocessSize: 0xA40, ethreadSize: 0x898,
    objectHeaderTypeIndex: 0x18, objectHeaderBody: 0x30, objectTypeName: 0x10)
}

extension ProcessLayout {
  /// Windows 10 2004–22H2 (19041–19045) x86, from the same sources as `x64Build19041`
  /// (docs/kernel-offsets/offsets.json; ImageFileName, InheritedFromUniqueProcessId and
  /// EPROCESS.CreateTime rest on one source each). Sizes cover the fields written.
  public static let x86Build19041 = ProcessLayout(
    processID: 0xE4, activeProcessLinks: 0xE8, parentProcessID: 0x170, imageFileName: 0x1AC,
    peb: 0x17C, directoryTableBase: 0x18, objectTable: 0x18C, session: 0x180, createTime: 0x100,
    threadListHead: 0x2C, threadListEntry: 0x1D4, executiveThreadListHead: 0x1D0,
    executiveThreadListEntry: 0x2E4, clientID: 0x2AC, teb: 0xA8, state: 0x90, waitReason: 0x18B,
    waitMode: 0x93, priority: 0x87, kernelTime: 0x194, userTime: 0x1C0, win32StartAddress: 0x2DC,
    initialStack: 0x20, stackLimit: 0x24, stackBase: 0x28, kernelStack: 0x48, apcProcess: 0x80,
    eprocessSize: 0x300, ethreadSize: 0x300, objectHeaderTypeIndex: 0xC, objectHeaderBody: 0x18,
    objectTypeName: 0x8)
}

extension ProcessLayout {
  /// Windows 11 24H2 (26100) ARM64, from docs/kernel-offsets/offsets.json (one pdbex header of
  /// Microsoft's PDB, `single`) and docs/kernel-offsets/switch-frames.md for KTHREAD.SwitchFrame.
  /// Sizes cover the fields written.
  public static let arm64Build26100 = ProcessLayout(
    processID: 0x1C0, activeProcessLinks: 0x1C8, parentProcessID: 0x2C0, imageFileName: 0x328,
    peb: 0x2D0, directoryTableBase: 0x28, objectTable: 0x2F0, session: 0x2D8, createTime: 0x1E8,
    threadListHead: 0x38, threadListEntry: 0x318, executiveThreadListHead: 0x360,
    executiveThreadListEntry: 0x558, clientID: 0x4E8, teb: 0xE8, state: 0x17C, waitReason: 0x2A3,
    waitMode: 0x17F, priority: 0xBB, kernelTime: 0x2AC, userTime: 0x2FC,
    win32StartAddress: 0x540, initialStack: 0x28, stackLimit: 0x30, stackBase: 0x38,
    kernelStack: 0x58, apcProcess: 0xB0, eprocessSize: 0x400, ethreadSize: 0x580,
    objectHeaderTypeIndex: 0x18, objectHeaderBody: 0x30, objectTypeName: 0x10, switchFrame: 0x210)
}
