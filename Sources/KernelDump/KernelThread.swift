/// One thread of a kernel memory dump (ETHREAD/KTHREAD), as far as the layout knows its fields:
/// a field whose offset is unknown, or whose memory the dump does not hold, is nil.
public struct KernelThread: Sendable, Equatable, Codable {
  /// The ETHREAD's address.
  public var address: UInt64
  /// `ETHREAD.Cid`: the owning process's id and the thread's id.
  public var processID: UInt64?
  /// `ETHREAD.Cid.UniqueThread`.
  public var threadID: UInt64?
  /// `KTHREAD.Teb`: the user-mode thread environment block (0 for system threads).
  public var teb: UInt64?
  /// `KTHREAD.State` (KTHREAD_STATE), `WaitReason` (KWAIT_REASON), `WaitMode` (0 kernel, 1 user).
  public var state: UInt8?
  public var waitReason: UInt8?
  public var waitMode: UInt8?
  /// `KTHREAD.Priority`.
  public var priority: Int8?
  /// Clock ticks spent in kernel and user mode.
  public var kernelTime: UInt32?
  public var userTime: UInt32?
  /// `ETHREAD.Win32StartAddress`: where the thread began.
  public var win32StartAddress: UInt64?
  /// `KTHREAD.InitialStack`, `StackLimit`, `StackBase`: the kernel stack's bounds.
  public var initialStack: UInt64?
  public var stackLimit: UInt64?
  public var stackBase: UInt64?
  /// The saved kernel stack pointer of a thread that is not running (its switch frame).
  public var kernelStack: UInt64?
  /// ARM64: the frame pointer and return address of the switch frame inside KTHREAD
  /// (`KTHREAD.SwitchFrame` Fp at +0x10, Return at +0x18; ksarm64.h's SwFp and SwReturn).
  public var switchFramePointer: UInt64?
  public var switchFrameReturn: UInt64?

  /// A thread at `address` with no field read yet.
  public init(address: UInt64) {
    self.address = address
  }

  /// KTHREAD_STATE names (values 0–9: Microsoft's Microsoft.Windows.EventTracing.Cpu.ThreadState
  /// and the kernels' _KTHREAD_STATE as the Vergilius Project lists it).
  public static let stateNames = [
    "Initialized", "Ready", "Running", "Standby", "Terminated", "Waiting", "Transition",
    "DeferredReady", "GateWaitObsolete", "WaitingForProcessInSwap",
  ]

  /// KWAIT_REASON names (values 0–39: Microsoft's Microsoft.Windows.EventTracing.Cpu
  /// .KernelWaitReason; 40–42 as vmi-os-windows' WindowsThreadWaitReason continues the list).
  /// 14 was WrEventPair before Windows 10 and is WrSpare0 since.
  public static let waitReasonNames = [
    "Executive", "FreePage", "PageIn", "PoolAllocation", "DelayExecution", "Suspended",
    "UserRequest", "WrExecutive", "WrFreePage", "WrPageIn", "WrPoolAllocation", "WrDelayExecution",
    "WrSuspended", "WrUserRequest", "WrEventPair", "WrQueue", "WrLpcReceive", "WrLpcReply",
    "WrVirtualMemory", "WrPageOut", "WrRendezvous", "WrKeyedEvent", "WrTerminated",
    "WrProcessInSwap", "WrCpuRateControl", "WrCalloutStack", "WrKernel", "WrResource",
    "WrPushLock", "WrMutex", "WrQuantumEnd", "WrDispatchInt", "WrPreempted", "WrYieldExecution",
    "WrFastMutex", "WrGuardedMutex", "WrRundown", "WrAlertByThreadId", "WrDeferredPreempt",
    "WrPhysicalFault", "WrIoRing", "WrMdlCache", "WrRcu",
  ]

  /// The state's name, or its number when the name is not known.
  public var stateName: String? {
    state.map { Int($0) < Self.stateNames.count ? Self.stateNames[Int($0)] : "state \($0)" }
  }

  /// The wait reason's name, or its number when the name is not known.
  public var waitReasonName: String? {
    waitReason.map {
      Int($0) < Self.waitReasonNames.count ? Self.waitReasonNames[Int($0)] : "reason \($0)"
    }
  }
}
