/// Where the fields of EPROCESS and ETHREAD/KTHREAD lie in one dumped kernel, and where each
/// offset came from. Without the nt PDB the offsets come first from the dump itself
/// (KDDEBUGGER_DATA64's `Offset*` fields, reference/kernel-dumps.md §2.1), then from the table of
/// public Windows builds in `KernelLayoutTable` (docs/kernel-offsets/, sources per row); a field
/// neither knows is missing, and what needs it says so.
public struct KernelTypeLayout: Sendable, Equatable {
  /// A field, named as in the kernel's types (`STRUCT.Member`; KPROCESS is EPROCESS.Pcb at
  /// offset 0, KTHREAD is ETHREAD.Tcb at offset 0, so their offsets are EPROCESS's and ETHREAD's).
  public enum Field: String, CaseIterable, Sendable, Codable {
    case processID = "EPROCESS.UniqueProcessId"
    case activeProcessLinks = "EPROCESS.ActiveProcessLinks"
    case parentProcessID = "EPROCESS.InheritedFromUniqueProcessId"
    case imageFileName = "EPROCESS.ImageFileName"
    case peb = "EPROCESS.Peb"
    case objectTable = "EPROCESS.ObjectTable"
    /// The process's session (MM_SESSION_SPACE; PSP_SESSION_SPACE in 24H2), NULL for processes
    /// outside every session (System, smss): WinDbg's `SessionId: none`.
    case session = "EPROCESS.Session"
    case sessionID = "MM_SESSION_SPACE.SessionId"
    case processCreateTime = "EPROCESS.CreateTime"
    case directoryTableBase = "KPROCESS.DirectoryTableBase"
    /// The process's threads: KPROCESS.ThreadListHead → KTHREAD.ThreadListEntry, or the
    /// executive's pair EPROCESS.ThreadListHead → ETHREAD.ThreadListEntry (both lists hold
    /// every thread; whichever pair is known is walked).
    case processThreadListHead = "KPROCESS.ThreadListHead"
    case threadListEntry = "KTHREAD.ThreadListEntry"
    case executiveThreadListHead = "EPROCESS.ThreadListHead"
    case executiveThreadListEntry = "ETHREAD.ThreadListEntry"
    case clientID = "ETHREAD.Cid"
    case teb = "KTHREAD.Teb"
    case state = "KTHREAD.State"
    case waitReason = "KTHREAD.WaitReason"
    case waitMode = "KTHREAD.WaitMode"
    case priority = "KTHREAD.Priority"
    case kernelTime = "KTHREAD.KernelTime"
    case userTime = "KTHREAD.UserTime"
    case win32StartAddress = "ETHREAD.Win32StartAddress"
    case initialStack = "KTHREAD.InitialStack"
    case stackLimit = "KTHREAD.StackLimit"
    case stackBase = "KTHREAD.StackBase"
    case kernelStack = "KTHREAD.KernelStack"
    case apcProcess = "KTHREAD.ApcState.Process"
    /// ARM64 only: the KSWITCH_FRAME a thread's last switch left inside its KTHREAD (Fp at +0x10,
    /// Return at +0x18); x64 and x86 keep it on the stack at KernelStack.
    case switchFrame = "KTHREAD.SwitchFrame"
    /// The handle table's count of handles: Windows 7 only (`KernelHandleCount`).
    case handleTableHandleCount = "HANDLE_TABLE.HandleCount"
    /// The handle table's root and level (low two bits), and the handle value its pages end at:
    /// what Windows 8 and later are counted by.
    case handleTableCode = "HANDLE_TABLE.TableCode"
    case handleTableNextHandleNeedingPool = "HANDLE_TABLE.NextHandleNeedingPool"
  }

  /// The offset of each known field.
  public private(set) var offsets: [Field: Int] = [:]
  /// Where each known offset came from: `nt PDB: <file> <debug id>`, `KDDEBUGGER_DATA64`, or
  /// `table: <machine> <builds>, <confidence>` (e.g. `table: x64 19041–19045, high`).
  public private(set) var origins: [Field: String] = [:]

  /// The machine (IMAGE_FILE_MACHINE_*) `of` made the layout for, when it did.
  public private(set) var machine: UInt32?

  /// A layout that knows no field.
  public init() {}

  /// The offset of `field`, nil when unknown.
  public subscript(_ field: Field) -> Int? { offsets[field] }

  /// Records `offset` for `field` unless an earlier (more trusted) source gave it. 0 is an offset
  /// like any other (HANDLE_TABLE.NextHandleNeedingPool is at 0).
  public mutating func set(_ field: Field, _ offset: Int, from origin: String) {
    guard offsets[field] == nil, offset >= 0 else { return }
    offsets[field] = offset
    origins[field] = origin
  }

  /// The fields not known, in declaration order, less those a build does not need: the switch
  /// frame in KTHREAD off ARM64, and the handle-count fields a build does not use: Windows 7's HandleCount makes the walk's fields unneeded, and the walk's fields make
  /// HandleCount (which later builds do not have) unneeded.
  public var missing: [Field] {
    let walk: [Field] = [.handleTableCode, .handleTableNextHandleNeedingPool]
    let counted = offsets[.handleTableHandleCount] != nil
    let walked = walk.allSatisfy { offsets[$0] != nil }
    return Field.allCases.filter { field in
      guard offsets[field] == nil else { return false }
      if field == .switchFrame && machine != 0xAA64 { return false }
      if counted && walk.contains(field) { return false }
      if walked && field == .handleTableHandleCount { return false }
      return true
    }
  }

  /// The layout of a dumped kernel: what `base` already holds (the nt PDB's types, when the
  /// caller found them), then the dump's own KDDEBUGGER_DATA64 offsets, then the table's row for
  /// its machine and build.
  public static func of(
    machine: UInt32, build: UInt32, debuggerData kd: KDDebuggerData?,
    base: KernelTypeLayout = KernelTypeLayout()
  ) -> KernelTypeLayout {
    var layout = base
    layout.machine = machine
    if let kd {
      // KDDEBUGGER_DATA64 leaves an offset it does not publish at 0.
      let set = { (field: Field, offset: Int) in
        if offset > 0 { layout.set(field, offset, from: "KDDEBUGGER_DATA64") }
      }
      set(.teb, Int(kd.offsetKThreadTeb))
      set(.kernelStack, Int(kd.offsetKThreadKernelStack))
      set(.initialStack, Int(kd.offsetKThreadInitialStack))
      set(.apcProcess, Int(kd.offsetKThreadApcProcess))
      set(.state, Int(kd.offsetKThreadState))
      set(.peb, Int(kd.offsetEprocessPeb))
      set(.parentProcessID, Int(kd.offsetEprocessParentCID))
      set(.directoryTableBase, Int(kd.offsetEprocessDirectoryTableBase))
      if kd.offsetKThreadStackLimit < 0x1000, kd.offsetKThreadStackBase < 0x1000 {
        set(.stackLimit, Int(kd.offsetKThreadStackLimit))
        set(.stackBase, Int(kd.offsetKThreadStackBase))
      }
    }
    for row in KernelLayoutTable.rows(machine: machine, build: build) {
      layout.set(row.field, row.offset, from: "table: \(row.label)")
    }
    return layout
  }
}
