import ByteReader
import DumpSynth
import Testing

@testable import KernelDump

/// Processes and threads of kernel memory dumps: written by DumpSynth at the field offsets of a
/// 19041 x64 kernel (its own copy of them), read back by `KernelProcessList` with the layout the
/// reader derives from the dump's KDDEBUGGER_DATA64 and its table of public builds.
@Suite("kernel process and thread lists")
struct KernelProcessListTests {
  static let head: UInt64 = 0xFFFF_F804_7C61_E200
  static let layout = ProcessLayout.x64Build19041

  static func processes() -> [SyntheticProcess] { SyntheticProcess.examples() }

  static func dump(
    _ kind: KernelDumpWriter.Layout, processes: [SyntheticProcess] = processes(),
    kdbgOffsets: Bool = true, build: UInt32 = 19041,
    edit: (SyntheticKernel) -> Void = { _ in }
  ) throws -> KernelDump {
    let kernel = SyntheticScenario.kernel()
    kernel.writeDebuggerData(
      virtual: SyntheticScenario.kdbgVA, kernBase: SyntheticScenario.modules[0].base,
      psLoadedModuleList: SyntheticScenario.moduleHead,
      kiProcessorBlock: SyntheticScenario.processorBlock, psActiveProcessHead: head,
      typeOffsets: kdbgOffsets)
    kernel.writeProcesses(head: head, processes, layout: layout)
    edit(kernel)
    var writer = SyntheticScenario.writer(kind)
    writer.psActiveProcessHead = head
    writer.build = build
    return try KernelDump(file: MappedFile(copying: writer.bytes(kernel), label: "synthetic"))
  }

  static func expect(_ list: KernelProcessList, equals written: [SyntheticProcess]) {
    #expect(list.processes.count == written.count)
    for (read, process) in zip(list.processes, written) {
      #expect(read.address == process.address)
      #expect(read.processID == process.processID)
      #expect(read.parentProcessID == process.parentProcessID)
      #expect(read.imageName == String(process.name.prefix(14)))
      #expect(read.peb == process.peb)
      #expect(read.directoryTableBase == process.directoryTableBase)
      #expect(read.objectTable == process.objectTable)
      // Outside every session: Session NULL (WinDbg's `none`); else the session's id.
      #expect((read.session == 0) == (process.sessionID == nil))
      #expect(read.sessionID == process.sessionID)
      #expect(read.createTime == process.createTime)
      #expect(read.handleCount == UInt32(process.handleCount), "\(read.handleCountProblem ?? "")")
      #expect(read.threadProblem == nil)
      #expect(read.threads.count == process.threads.count)
      for (thread, expected) in zip(read.threads, process.threads) {
        #expect(thread.address == expected.address)
        #expect(thread.processID == process.processID)
        #expect(thread.threadID == expected.threadID)
        #expect(thread.teb == expected.teb)
        #expect(thread.state == expected.state)
        #expect(thread.waitReason == expected.waitReason)
        #expect(thread.waitMode == expected.waitMode)
        #expect(thread.priority == Int8(bitPattern: expected.priority))
        #expect(thread.kernelTime == expected.kernelTime)
        #expect(thread.userTime == expected.userTime)
        #expect(thread.win32StartAddress == expected.win32StartAddress)
        #expect(thread.initialStack == expected.initialStack)
        #expect(thread.stackLimit == expected.stackLimit)
        #expect(thread.stackBase == expected.stackBase)
        #expect(thread.kernelStack == expected.kernelStack)
      }
    }
  }

  @Test(
    "full, bitmap and RDMP dumps: every process and thread reads back as written",
    arguments: SyntheticScenario.layouts.map(\.0))
  func readsBack(kind: String) throws {
    let layout = try #require(SyntheticScenario.layouts.first { $0.0 == kind }?.1)
    let list = KernelProcessList.read(from: try Self.dump(layout))
    #expect(list.problems.isEmpty, "\(list.problems)")
    #expect(list.isComplete)
    #expect(list.layout.missing.isEmpty, "\(list.layout.missing)")
    Self.expect(list, equals: Self.processes())
  }

  @Test("the dump's own KDDEBUGGER_DATA64 offsets come first; without them the table answers")
  func origins() throws {
    let withKDBG = KernelProcessList.read(from: try Self.dump(.full))
    #expect(withKDBG.layout.origins[.state] == "KDDEBUGGER_DATA64")
    #expect(withKDBG.layout.origins[.peb] == "KDDEBUGGER_DATA64")
    #expect(withKDBG.layout.origins[.activeProcessLinks]?.hasPrefix("table: x64 19041") == true)
    let tableOnly = KernelProcessList.read(from: try Self.dump(.full, kdbgOffsets: false))
    #expect(tableOnly.layout.origins[.state] == "table: x64 9200–19045, high")
    Self.expect(tableOnly, equals: Self.processes())
  }

  @Test("a process list that loops back stops with what it read and says where")
  func loop() throws {
    let written = Self.processes()
    let dump = try Self.dump(.full) { kernel in
      // The last process's Flink points back at the second process instead of the head.
      let last = written[written.count - 1].address + UInt64(Self.layout.activeProcessLinks)
      kernel.write64(virtual: last, written[1].address + UInt64(Self.layout.activeProcessLinks))
    }
    let list = KernelProcessList.read(from: dump)
    #expect(list.processes.count == written.count)
    #expect(list.problems.contains { $0.contains("loops back") }, "\(list.problems)")
    #expect(!list.isComplete)
  }

  @Test("a thread list into unmapped memory, a link outside any EPROCESS, an unmapped head")
  func hostileLinks() throws {
    let written = Self.processes()
    let threadHead = written[2].address + UInt64(Self.layout.threadListHead)
    let unmappedThreads = try Self.dump(.bitmap(type: 5, signature: "SDMP")) { kernel in
      kernel.write64(virtual: threadHead, 0xFFFF_9999_0000_0000)
    }
    let partial = KernelProcessList.read(from: unmappedThreads)
    #expect(partial.processes.count == written.count)
    #expect(partial.processes[2].threads.isEmpty)
    #expect(partial.processes[2].threadProblem?.contains("cannot be read") == true)
    #expect(partial.processes[3].threads.count == written[3].threads.count)
    #expect(!partial.isComplete)

    let tiny = try Self.dump(.full) { kernel in
      kernel.write64(virtual: Self.head, 0x10)
    }
    let outside = KernelProcessList.read(from: tiny)
    #expect(outside.processes.isEmpty)
    #expect(
      outside.problems.contains { $0.contains("not inside an EPROCESS") }, "\(outside.problems)")

    let nowhere = try Self.dump(.full) { kernel in
      kernel.write64(virtual: Self.head, 0xFFFF_9999_0000_1000)
    }
    let lost = KernelProcessList.read(from: nowhere)
    #expect(lost.processes.isEmpty)
    #expect(lost.problems.count == 1, "\(lost.problems)")
  }

  @Test("a self-linked thread (Flink to itself) is read once, not forever")
  func selfLoop() throws {
    let written = Self.processes()
    let thread = written[3].threads[0]
    let entry = thread.address + UInt64(Self.layout.threadListEntry)
    let dump = try Self.dump(.full) { kernel in kernel.write64(virtual: entry, entry) }
    let list = KernelProcessList.read(from: dump)
    #expect(list.processes[3].threads.count == 1)
    #expect(list.processes[3].threadProblem?.contains("loops back") == true)
  }

  @Test("a build the table does not know: the processes need offsets nobody gave, and it says so")
  func unknownBuild() throws {
    let list = KernelProcessList.read(from: try Self.dump(.full, kdbgOffsets: false, build: 20348))
    #expect(list.processes.isEmpty)
    #expect(
      list.problems == [
        "EPROCESS.ActiveProcessLinks: offset unknown for x64 build 20348 (not in the dump's KDDEBUGGER_DATA64 nor in the table of public builds, docs/kernel-offsets/)"
      ])
  }

  @Test("x86 (PAE): 4-byte links and Cid fields, the 19041 x86 table rows")
  func x86() throws {
    let machine = PagingScenario.x86("x86-pae", .x86PAE)
    let kernel = PagingScenario.kernel(machine)
    let head: UInt64 = 0x8279_4D50
    let processes = (0..<3).map { index -> SyntheticProcess in
      let base = 0x8A00_0000 + UInt64(index) * 0x1_0000
      var process = SyntheticProcess(
        address: base, processID: UInt64(4 + index * 4), parentProcessID: 4,
        name: "x86proc\(index).exe")
      process.directoryTableBase = 0x1_8000 + UInt64(index) * 0x1000
      process.sessionID = index == 0 ? nil : UInt32(index)
      // 8-byte entries, 511 to a page: 600 slots need a level-1 table in the first process.
      process.objectTable = 0x8B00_0000 + UInt64(index) * 0x80
      process.handlePages = 0x8C00_0000 + UInt64(index) * 0x1_0000
      process.handles = (0..<[600, 20, 1][index]).map { slot in
        slot % 5 == 1
          ? nil
          : SyntheticProcess.Handle(
            object: base, typeIndex: SyntheticProcess.Handle.processType, access: 0x1F_FFFF)
      }
      process.threads = (0..<(index + 1)).map { number in
        var thread = SyntheticProcess.Thread(
          address: base + 0x1000 + UInt64(number) * 0x1000, threadID: UInt64(0x100 + number * 4))
        thread.state = 5
        thread.waitReason = 13
        return thread
      }
      return process
    }
    kernel.writeProcesses(head: head, processes, layout: .x86Build19041)
    var writer = PagingScenario.writer(machine, .full)
    writer.psActiveProcessHead = head
    let dump = try KernelDump(
      file: MappedFile(copying: writer.bytes(kernel), label: "x86 processes"))
    let list = KernelProcessList.read(from: dump)
    #expect(list.isComplete, "\(list.problems)")
    #expect(list.processes.map(\.processID) == processes.map { $0.processID })
    #expect(list.processes.map(\.imageName) == processes.map { $0.name })
    #expect(list.processes.map(\.directoryTableBase) == processes.map { $0.directoryTableBase })
    // EPROCESS.Session at 0x180 (x86 19041), SessionId at +0x8 of a 32-bit session space.
    #expect(list.processes.map(\.session) == [0, kernel.sessionSpace(1), kernel.sessionSpace(2)])
    #expect(list.processes.map(\.sessionID) == [nil, 1, 2])
    #expect(list.processes.map(\.handleCount) == processes.map { UInt32($0.handleCount) })
    #expect(processes.map(\.handleCount) == [480, 16, 1])
    #expect(
      list.processes.flatMap(\.threads).map(\.threadID)
        == processes.flatMap(\.threads).map { $0.threadID })
    #expect(list.processes.flatMap(\.threads).allSatisfy { $0.waitReason == 13 })
  }

  @Test("without the kernel's thread-list pair, the executive's EPROCESS/ETHREAD pair is walked")
  func executivePair() throws {
    let dump = try Self.dump(.full)
    let full = KernelProcessList.read(from: dump).layout
    var layout = KernelTypeLayout()
    for (field, offset) in full.offsets
    where field != .processThreadListHead && field != .threadListEntry {
      layout.set(field, offset, from: full.origins[field] ?? "")
    }
    #expect(layout[.processThreadListHead] == nil)
    let list = KernelProcessList.read(from: dump, layout: layout)
    #expect(list.isComplete, "\(list.problems)")
    Self.expect(list, equals: Self.processes())
  }

  @Test("a triage dump says it holds no process list")
  func triage() throws {
    let dump = try KernelDump(
      file: MappedFile(copying: TriageDumpWriter().bytes(), label: "triage"))
    let list = KernelProcessList.read(from: dump)
    #expect(list.processes.isEmpty)
    #expect(list.problems.first?.contains("triage dump holds only the crashing process") == true)
  }
}
