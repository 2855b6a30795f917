/// One processor of a kernel or full memory dump, as KDDEBUGGER_DATA64's KiProcessorBlock
/// array lists it: its KPRCB, the thread it was running when the machine stopped, and where the
/// KPRCB keeps the registers saved when the processor was frozen for the bug check
/// (KPRCB.ProcessorState.ContextFrame, at the dump's own OffsetPrcbProcStateContext;
/// reference/kernel-dumps.md §2.1, §2.3). WinDbg switches to another processor (`~1s`) from
/// that frame.
public struct KernelProcessor: Sendable, Equatable {
  /// The processor's index in KiProcessorBlock.
  public var number: Int
  /// The KPRCB's address.
  public var prcb: UInt64
  /// KPRCB.CurrentThread, nil when it could not be read.
  public var currentThread: UInt64?
  /// The address of KPRCB.ProcessorState.ContextFrame (a CONTEXT).
  public var savedContext: UInt64

  public init(number: Int, prcb: UInt64, currentThread: UInt64?, savedContext: UInt64) {
    self.number = number
    self.prcb = prcb
    self.currentThread = currentThread
    self.savedContext = savedContext
  }
}
