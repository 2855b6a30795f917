import Analysis
import ByteReader
import CPUContexts
import DumpSynth
import Testing

@testable import KernelDump

/// A thread that is not running resumes from the switch frame at KTHREAD.KernelStack: the
/// registers built from it are those WinDbg's `!thread` starts with (x64: first Child-SP at
/// Current + 0x40, as in every published output read; docs/kernel-offsets/switch-frames.md).
@Suite("switch frames of waiting threads")
struct SwitchFrameTests {
  @Test("x64: RIP from +0x38, RBP from +0x30, RSP = KernelStack + 0x40; the walk starts there")
  func x64() throws {
    let bytes = ProcessScenario.bytes(.full)
    let dump = try KernelDump(file: MappedFile(copying: bytes, label: "x64"))
    let list = KernelProcessList.read(from: dump)
    let written = SyntheticProcess.examples()
    let waiting = try #require(list.processes[2].threads.first)
    let expected = written[2].threads[0]
    guard case .context(.amd64(let context)) = SwitchFrame.start(of: waiting, in: dump) else {
      Issue.record("no x64 context")
      return
    }
    #expect(context.rip == expected.returnAddress)
    #expect(context.rsp == expected.kernelStack + 0x40)
    #expect(context.rbp == expected.savedFramePointer)
    #expect(context.rax == 0 && context.r15 == 0)
    let stack = ThreadStack.kernelThread(of: dump, context: .amd64(context), symbols: nil)
    let first = try #require(stack.frames.first)
    #expect(first.instruction == expected.returnAddress)
    #expect(first.stackPointer == expected.kernelStack + 0x40)
    #expect(first.location.module == "ntoskrnl.exe")

  }

  @Test(
    "running threads: processor 0's is the crashing thread; the others start from their KPRCB's ProcessorState context"
  )
  func running() throws {
    let bytes = ProcessScenario.bytes(.full)
    let dump = try KernelDump(file: MappedFile(copying: bytes, label: "x64"))
    let list = KernelProcessList.read(from: dump)
    let running = list.processes.flatMap(\.threads).filter { $0.state == 2 }
    let processors = dump.processors()
    #expect(running.count == 3)
    #expect(processors.map(\.number) == [0, 1, 2])
    #expect(processors.map(\.currentThread) == running.map(\.address))
    // Processor 0 (no saved context matches the header's) is the one the dump calls current.
    #expect(dump.currentThread == running[0].address)
    let kernelBase = PagingScenario.x64Modules[0].base
    for (index, thread) in running.enumerated().dropFirst() {
      guard
        case .context(.amd64(let context)) = SwitchFrame.start(
          of: thread, in: dump, processors: processors)
      else {
        Issue.record("no context for the thread running on processor \(index)")
        continue
      }
      #expect(context.rip == kernelBase + 0x20_1000 + UInt64(index) * 0x10)
      #expect(context.rsp == (thread.kernelStack ?? 0) - 0x100)
      let stack = ThreadStack.kernelThread(of: dump, context: .amd64(context), symbols: nil)
      #expect(stack.frames.first?.instruction == context.rip)
      #expect(stack.frames.first?.location.module == "ntoskrnl.exe")
    }
    // Processor 0 was not frozen with a context (its registers are the header's): said so.
    guard case .unavailable(let reason) = SwitchFrame.start(of: running[0], in: dump) else {
      Issue.record("processor 0 keeps no saved registers here")
      return
    }
    #expect(reason.contains("processor 0"))
    // A running thread no processor lists: said so.
    var stray = running[1]
    stray.address = 0xFFFF_C08B_DFFF_0000
    guard case .unavailable(let why) = SwitchFrame.start(of: stray, in: dump) else {
      Issue.record("a running thread no processor runs")
      return
    }
    #expect(why.contains("no processor"))
  }

  @Test("x86: EIP from +0x8, EBP from +0xC, ESP = KernelStack + 0xC")
  func x86() throws {
    let machine = PagingScenario.x86("x86-pae", .x86PAE)
    let kernel = PagingScenario.kernel(machine)
    let stackVA: UInt64 = 0x8E3F_A000
    kernel.write32(virtual: stackVA + 0x8, 0x8280_1234)
    kernel.write32(virtual: stackVA + 0xC, 0x8E3F_A100)
    let dump = try KernelDump(
      file: MappedFile(
        copying: PagingScenario.writer(machine, .full).bytes(kernel), label: "x86"))
    var thread = KernelThread(address: 0x8671_3000)
    thread.state = 5
    thread.kernelStack = stackVA
    guard case .context(.x86(let context)) = SwitchFrame.start(of: thread, in: dump) else {
      Issue.record("no x86 context")
      return
    }
    #expect(context.eip == 0x8280_1234)
    #expect(context.esp == 0x8E3F_A00C)
    #expect(context.ebp == 0x8E3F_A100)
    thread.kernelStack = 0x8F00_0000
    guard case .unavailable(let reason) = SwitchFrame.start(of: thread, in: dump) else {
      Issue.record("an unmapped switch frame gives no context")
      return
    }
    #expect(reason.contains("not in the dump"))
  }
}
