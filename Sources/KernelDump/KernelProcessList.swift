/// Every process of a kernel or full memory dump with its threads, walked like WinDbg's
/// `!process 0 0` / `!process 0 7`: from the header's PsActiveProcessHead along
/// EPROCESS.ActiveProcessLinks, and in each process along its thread list. Every walk is bounded
/// and cycle-checked; where one stops early the reason is in `problems` (or the process's
/// `threadProblem`) and what was read before stays. Triage dumps hold no process list.
public struct KernelProcessList: Sendable {
  public var processes: [KernelProcess] = []
  /// The offsets used and where each came from.
  public var layout: KernelTypeLayout
  /// Why the process list is missing or incomplete; empty when it was walked to its end.
  public var problems: [String] = []
  /// What looked wrong on a walk that still reached its end (a Blink that does not point back).
  public var warnings: [String] = []

  /// Whether every list (processes and each process's threads) was walked to its end.
  public var isComplete: Bool {
    problems.isEmpty && processes.allSatisfy { $0.threadProblem == nil }
  }

  /// Limits that keep a hostile dump from walking without end (real machines run a few hundred
  /// processes and a few thousand threads).
  public static let maxProcesses = 65_536
  public static let maxThreadsPerProcess = 65_536
  public static let maxThreads = 1 << 17

  /// Reads the processes of `dump` (and their threads unless `threads` is false) with `layout`,
  /// by default the dump's own (`KernelTypeLayout.of`).
  public static func read(
    from dump: KernelDump, layout: KernelTypeLayout? = nil, threads: Bool = true
  ) -> KernelProcessList {
    let header = dump.header
    var list = KernelProcessList(
      layout: layout
        ?? KernelTypeLayout.of(
          machine: header.machineImageType, build: header.minorVersion,
          debuggerData: dump.debuggerData))
    guard header.dumpType != .triage else {
      list.problems.append(
        "a triage dump holds only the crashing process and thread, not the process list; a kernel or full memory dump (MEMORY.DMP) has it"
      )
      return list
    }
    guard let paged = dump.paged, let mode = paged.mode else {
      list.problems.append("the process list needs the dump's memory, which could not be read")
      return list
    }
    guard let rawHead = header.psActiveProcessHead ?? dump.debuggerData?.psActiveProcessHead
    else {
      list.problems.append("the dump names no PsActiveProcessHead (header or KDDEBUGGER_DATA64)")
      return list
    }
    guard let links = list.layout[.activeProcessLinks] else {
      list.problems.append(
        "EPROCESS.ActiveProcessLinks: offset unknown for \(header.machineName) build \(header.minorVersion) (not in the dump's KDDEBUGGER_DATA64 nor in the table of public builds, docs/kernel-offsets/)"
      )
      return list
    }
    var reader = FieldReader(paged: paged, layout: list.layout, width: mode.pointerSize)
    let head = mode.canonical(rawHead)
    var seen: Set<UInt64> = [head]
    var previous = head
    var entry: UInt64
    do {
      entry = try paged.pointer(head)
    } catch {
      list.problems.append("process list head at 0x\(hex(head)): \(error)")
      return list
    }
    var threadsLeft = maxThreads
    while entry != head {
      guard list.processes.count < maxProcesses else {
        list.problems.append("process list: longer than \(maxProcesses) processes; stopped")
        break
      }
      guard seen.insert(entry).inserted else {
        list.problems.append(
          "process list: loops back to 0x\(hex(entry)) after \(list.processes.count) processes; stopped"
        )
        break
      }
      let (address, overflow) = entry.subtractingReportingOverflow(UInt64(links))
      guard !overflow else {
        list.problems.append(
          "process list: link 0x\(hex(entry)) is not inside an EPROCESS; stopped")
        break
      }
      // An entry whose own link cannot be read is not a process the dump holds: stop before it.
      let next: UInt64
      do {
        next = try paged.pointer(entry)
      } catch {
        list.problems.append(
          "process list: the link at 0x\(hex(entry)) cannot be read (\(error)); stopped after \(list.processes.count) processes"
        )
        break
      }
      if let back = try? paged.pointer(entry &+ UInt64(mode.pointerSize)), back != previous {
        list.warnings.append(
          "process list: the process at 0x\(hex(address)) links back to 0x\(hex(back)), not 0x\(hex(previous)) (the list may be changing or damaged)"
        )
      }
      var process = reader.process(at: address)
      if threads {
        reader.threads(of: &process, left: &threadsLeft)
      }
      list.processes.append(process)
      previous = entry
      entry = next
    }
    return list
  }

  static func hex(_ value: UInt64) -> String { String(value, radix: 16) }

  /// Reads fields at the layout's offsets; a field without an offset or memory reads as nil.
  struct FieldReader {
    let paged: PagedMemory
    let layout: KernelTypeLayout
    let width: Int
    /// Shared by every process's handle count in one read of the list.
    let handleBudget = KernelHandleCount.Budget()

    func pointer(_ base: UInt64, _ field: KernelTypeLayout.Field) -> UInt64? {
      guard let offset = layout[field] else { return nil }
      return try? paged.pointer(base &+ UInt64(offset))
    }

    func byte(_ base: UInt64, _ field: KernelTypeLayout.Field) -> UInt8? {
      guard let offset = layout[field] else { return nil }
      return (try? paged.read(base &+ UInt64(offset), count: 1))?.first
    }

    func u32(_ base: UInt64, _ field: KernelTypeLayout.Field) -> UInt32? {
      guard let offset = layout[field] else { return nil }
      return try? paged.u32(base &+ UInt64(offset))
    }

    func u64(_ base: UInt64, _ field: KernelTypeLayout.Field) -> UInt64? {
      guard let offset = layout[field] else { return nil }
      return try? paged.u64(base &+ UInt64(offset))
    }

    func process(at address: UInt64) -> KernelProcess {
      var process = KernelProcess(address: address)
      process.processID = pointer(address, .processID)
      process.parentProcessID = pointer(address, .parentProcessID)
      if let offset = layout[.imageFileName],
        let bytes = try? paged.read(address &+ UInt64(offset), count: 15)
      {
        process.imageName = ImageFileNameOffsets.name(bytes)
      }
      process.peb = pointer(address, .peb)
      process.directoryTableBase = pointer(address, .directoryTableBase)
      process.objectTable = pointer(address, .objectTable)
      if let table = process.objectTable {
        let handles = KernelHandleCount.read(
          table: table, paged: paged, layout: layout, width: width, budget: handleBudget)
        process.handleCount = handles.value
        process.handleCountProblem = handles.problem
      }
      process.session = pointer(address, .session)
      if let session = process.session, session != 0 {
        process.sessionID = u32(session, .sessionID)
      }
      process.createTime = u64(address, .processCreateTime)
      return process
    }

    func thread(at address: UInt64) -> KernelThread {
      var thread = KernelThread(address: address)
      if let offset = layout[.clientID] {
        let cid = address &+ UInt64(offset)
        thread.processID = try? paged.pointer(cid)
        thread.threadID = try? paged.pointer(cid &+ UInt64(width))
      }
      thread.teb = pointer(address, .teb)
      thread.state = byte(address, .state)
      thread.waitReason = byte(address, .waitReason)
      thread.waitMode = byte(address, .waitMode)
      thread.priority = byte(address, .priority).map { Int8(bitPattern: $0) }
      thread.kernelTime = u32(address, .kernelTime)
      thread.userTime = u32(address, .userTime)
      thread.win32StartAddress = pointer(address, .win32StartAddress)
      thread.initialStack = pointer(address, .initialStack)
      thread.stackLimit = pointer(address, .stackLimit)
      thread.stackBase = pointer(address, .stackBase)
      thread.kernelStack = pointer(address, .kernelStack)
      if let frame = layout[.switchFrame] {
        let at = address &+ UInt64(frame)
        thread.switchFramePointer = try? paged.pointer(at &+ 0x10)
        thread.switchFrameReturn = try? paged.pointer(at &+ 0x18)
      }
      return thread
    }

    /// Walks `process`'s thread list (the kernel's pair of fields, else the executive's).
    mutating func threads(of process: inout KernelProcess, left: inout Int) {
      let pair: (head: Int, entry: Int)
      if let head = layout[.processThreadListHead], let entry = layout[.threadListEntry] {
        pair = (head, entry)
      } else if let head = layout[.executiveThreadListHead],
        let entry = layout[.executiveThreadListEntry]
      {
        pair = (head, entry)
      } else {
        process.threadProblem =
          "thread list: offsets of KPROCESS.ThreadListHead and KTHREAD.ThreadListEntry unknown for this build (no nt PDB, not in the table of public builds)"
        return
      }
      let head = process.address &+ UInt64(pair.head)
      var seen: Set<UInt64> = [head]
      var entry: UInt64
      do {
        entry = try paged.pointer(head)
      } catch {
        process.threadProblem = "thread list head at 0x\(hex(head)): \(error)"
        return
      }
      while entry != head {
        guard left > 0 else {
          process.threadProblem =
            "thread list: more than \(KernelProcessList.maxThreads) threads in the dump; stopped"
          return
        }
        guard process.threads.count < KernelProcessList.maxThreadsPerProcess else {
          process.threadProblem =
            "thread list: longer than \(KernelProcessList.maxThreadsPerProcess) threads; stopped"
          return
        }
        guard seen.insert(entry).inserted else {
          process.threadProblem =
            "thread list: loops back to 0x\(hex(entry)) after \(process.threads.count) threads; stopped"
          return
        }
        let (address, overflow) = entry.subtractingReportingOverflow(UInt64(pair.entry))
        guard !overflow else {
          process.threadProblem = "thread list: link 0x\(hex(entry)) is not inside an ETHREAD"
          return
        }
        let next: UInt64
        do {
          next = try paged.pointer(entry)
        } catch {
          process.threadProblem =
            "thread list: the link at 0x\(hex(entry)) cannot be read (\(error)); stopped after \(process.threads.count) threads"
          return
        }
        process.threads.append(thread(at: address))
        left -= 1
        entry = next
      }
    }

    func hex(_ value: UInt64) -> String { KernelProcessList.hex(value) }
  }
}
