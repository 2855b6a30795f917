import ByteReader
import CPUContexts
import KernelDump

/// Where a kernel thread that is not running left its registers: the switch frame at
/// `KTHREAD.KernelStack`, as WinDbg's `!thread` / `.thread` starts such a thread's stack
/// (docs/kernel-offsets/switch-frames.md, with sources).
/// - x64, Windows 8 and later: KSWITCH_FRAME is 0x40 bytes; the saved Rbp is at +0x30 and the
///   return address into nt!KiSwapContext at +0x38, so the walk starts at RIP = [KS+0x38],
///   RSP = KS+0x40, RBP = [KS+0x30] (ReactOS' amd64 ketypes.h and a Windows 10-era header agree;
///   every published `!thread` output read has its first Child-SP at Current + 0x40).
/// - x86: the return address is at +0x8 after ExceptionList and ApcBypassDisable, and the saved
///   Ebp at +0xC: EIP = [KS+0x8], ESP = KS+0xC, EBP = [KS+0xC] (Server 2003's ctxswap.asm,
///   ReactOS; on Windows 10 one header and one published output).
/// - ARM64 keeps the frame inside KTHREAD (`KTHREAD.SwitchFrame`, 0x210 in the ntdiff headers of
///   18975 and 26100): PC = SwitchFrame.Return (+0x18), FP = SwitchFrame.Fp (+0x10), SP =
///   KernelStack, as rizin starts such a thread (the only tool found that does; no published
///   ARM64 `!thread` output to check against).
///
/// A thread running on another processor when the machine stopped has no switch frame: its
/// registers are the ones that processor was frozen with, KPRCB.ProcessorState.ContextFrame of
/// the KPRCB whose CurrentThread it is (`KernelDump.processors()`), on every architecture.
public enum SwitchFrame {
  /// A thread's starting registers, or why there are none.
  public enum Start {
    case context(CPUContext)
    case unavailable(String)
  }

  /// The registers `thread` resumes with when switched back in, built on the dump's header
  /// context (so the architecture matches) with every other register cleared; for a running
  /// thread, the registers its processor was frozen with.
  /// - Parameter processors: the dump's processors (`KernelDump.processors()`), when the
  ///   caller already read them.
  public static func start(
    of thread: KernelThread, in dump: KernelDump, processors: [KernelProcessor]? = nil
  ) -> Start {
    if thread.state == 2 {
      return running(thread, in: dump, processors: processors ?? dump.processors())
    }
    guard let stack = thread.kernelStack, stack != 0 else {
      return .unavailable("KTHREAD.KernelStack is not known for this build or not in the dump")
    }
    switch dump.context {
    case .amd64(var context)?:
      guard dump.header.minorVersion >= 9200 else {
        return .unavailable(
          "the switch frame of Windows before 8 (build \(dump.header.minorVersion)) is not read")
      }
      guard let rbp = try? dump.pointer(virtual: stack &+ 0x30),
        let rip = try? dump.pointer(virtual: stack &+ 0x38)
      else {
        return .unavailable("the switch frame at 0x\(String(stack, radix: 16)) is not in the dump")
      }
      (context.rax, context.rbx, context.rcx, context.rdx) = (0, 0, 0, 0)
      (context.rsi, context.rdi, context.r8, context.r9) = (0, 0, 0, 0)
      (context.r10, context.r11, context.r12, context.r13) = (0, 0, 0, 0)
      (context.r14, context.r15) = (0, 0)
      context.rip = rip
      context.rsp = stack &+ 0x40
      context.rbp = rbp
      return .context(.amd64(context))
    case .x86(var context)?:
      guard let eip = try? dump.pointer(virtual: stack &+ 0x8),
        let ebp = try? dump.pointer(virtual: stack &+ 0xC)
      else {
        return .unavailable("the switch frame at 0x\(String(stack, radix: 16)) is not in the dump")
      }
      (context.eax, context.ebx, context.ecx, context.edx, context.esi, context.edi) =
        (0, 0, 0, 0, 0, 0)
      context.eip = UInt32(truncatingIfNeeded: eip)
      context.esp = UInt32(truncatingIfNeeded: stack &+ 0xC)
      context.ebp = UInt32(truncatingIfNeeded: ebp)
      return .context(.x86(context))
    case .arm64(var context)?:
      guard let pc = thread.switchFrameReturn, pc != 0, let fp = thread.switchFramePointer else {
        return .unavailable(
          "the switch frame inside KTHREAD (KTHREAD.SwitchFrame) is not known for this build or not in the dump"
        )
      }
      context.x = [UInt64](repeating: 0, count: context.x.count)
      if context.x.count > 29 { context.x[29] = fp }
      context.pc = pc
      context.sp = stack
      return .context(.arm64(context))
    case nil:
      return .unavailable("the dump has no header context to build on")
    }
  }

  /// A running thread's registers: its processor's frozen context.
  static func running(
    _ thread: KernelThread, in dump: KernelDump, processors: [KernelProcessor]
  ) -> Start {
    guard let processor = processors.first(where: { $0.currentThread == thread.address }) else {
      return .unavailable(
        "running, but no processor of the dump's KiProcessorBlock lists it as its current thread")
    }
    let context: CPUContext
    do {
      context = try dump.savedContext(of: processor)
    } catch {
      return .unavailable(
        "running on processor \(processor.number): its saved registers (KPRCB 0x\(String(processor.prcb, radix: 16)) ProcessorState) cannot be read: \(error)"
      )
    }
    guard let ip = context.instructionPointer, ip != 0, let sp = context.stackPointer, sp != 0
    else {
      return .unavailable(
        "running on processor \(processor.number): its saved registers are empty (the processor was not frozen with a context)"
      )
    }
    return .context(context)
  }
}
