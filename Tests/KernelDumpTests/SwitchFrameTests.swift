import Analysis
import ByteReader
import CPUContexts
import CrashsiftTestSupport
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

  @Test("ARM64: PC from KTHREAD.SwitchFrame.Return, FP from SwitchFrame.Fp, SP = KernelStack")
  func arm64() throws {
    let machine = PagingScenario.machines[0]
    #expect(machine.name == "arm64")
    let kernel = PagingScenario.kernel(machine)
    let head: UInt64 = 0xFFFF_F804_7C61_E200
    // ARM64 instructions are 4-byte aligned: resume at a word inside the kernel image.
    let resume = PagingScenario.x64Modules[0].base + 0x41_7A28
    let processes = SyntheticProcess.examples().map { process in
      var process = process
      process.threads = process.threads.map { thread in
        var thread = thread
        if thread.returnAddress != 0 { thread.returnAddress = resume }
        return thread
      }
      return process
    }
    kernel.writeProcesses(head: head, processes, layout: .arm64Build26100)
    var writer = PagingScenario.writer(machine, .full)
    writer.build = 26100
    writer.psActiveProcessHead = head
    let dump = try KernelDump(file: MappedFile(copying: writer.bytes(kernel), label: "arm64"))
    let list = KernelProcessList.read(from: dump)
    #expect(list.isComplete, "\(list.problems)")
    #expect(list.layout.origins[.switchFrame] == "table: arm64 26100, single")
    #expect(list.processes.map(\.handleCount) == processes.map { UInt32($0.handleCount) })
    let waiting = try #require(list.processes[2].threads.first)
    let expected = processes[2].threads[0]
    guard case .context(.arm64(let context)) = SwitchFrame.start(of: waiting, in: dump) else {
      Issue.record("no ARM64 context")
      return
    }
    #expect(context.pc == resume)
    #expect(context.fp == expected.savedFramePointer)
    #expect(context.sp == expected.kernelStack)
    #expect(context.lr == 0 && context.x[0] == 0)
    let stack = ThreadStack.kernelThread(of: dump, context: .arm64(context), symbols: nil)
    let first = try #require(stack.frames.first)
    #expect(first.instruction == resume)
    #expect(first.location.module == "ntoskrnl.exe")
  }

  /// The real ARM64 22000 triage dump of the corpus: the crashing thread's KTHREAD copy holds the
  /// switch frame of its last switch-out (stale, but real): the frame pointer lies on its own
  /// kernel stack just above KernelStack, the return address inside ntoskrnl.
  @Test(
    "ARM64 22000, a real dump: the inferred KTHREAD.SwitchFrame 0x210 holds a frame on the thread's stack",
    .requires(.corpus))
  func arm64Real() throws {
    let path = try Requirement.corpus.resolve() + "/kernel/triage_arm64.dmp"
    let dump = try KernelDump(file: MappedFile(path: path))
    let address = try #require(dump.currentThread)
    let layout = KernelTypeLayout.of(
      machine: dump.header.machineImageType, build: dump.header.minorVersion,
      debuggerData: dump.debuggerData)
    // 22000's row is inferred from 18975 and 26100 (0x210 in both) and left out of the table;
    // this dump is the check that the inference fits a real 22000 kernel.
    #expect(layout[.switchFrame] == nil)
    let frame = 0x210
    // A triage dump holds the thread's KTHREAD, not paged memory: read it the way the dump maps it.
    let kernelStack = try #require(layout[.kernelStack])
    let stack = try dump.pointer(virtual: address + UInt64(kernelStack))
    let fp = try dump.pointer(virtual: address + UInt64(frame) + 0x10)
    let pc = try dump.pointer(virtual: address + UInt64(frame) + 0x18)
    #expect(fp > stack && fp - stack < 0x1000, "fp 0x\(String(fp, radix: 16))")
    let nt = try #require(dump.modules.first { $0.name.lowercased() == "ntoskrnl.exe" })
    #expect(pc > nt.base && pc - nt.base < UInt64(nt.size), "pc 0x\(String(pc, radix: 16))")
    #expect(pc & 3 == 0)
  }
}
