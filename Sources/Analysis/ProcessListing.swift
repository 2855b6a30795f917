import KernelDump
import Symbols

/// A kernel memory dump's processes, and optionally their threads, as `crashsift analyze
/// --processes`, `--process X` and `--threads` print them: text in the layout of WinDbg's
/// `!process 0 0` and `!process ADDR 7` (the `PROCESS … SessionId … Cid … Peb … ParentCid`,
/// `DirBase … ObjectTable … HandleCount`, `Image` lines, then one `THREAD … Cid … Teb …` line per
/// thread with its wait state), and the same data as JSON. What the dump cannot tell (a field
/// whose offset is unknown for the build, memory the dump lacks) is printed as `?`. SessionId is
/// `none` for a process outside every session (EPROCESS.Session NULL: System, smss), else the
/// session's id in decimal. HandleCount is the count `KernelHandleCount` reads (decimal, right-aligned
/// in three columns with WinDbg's trailing `.`), `<Data Not Accessible>` as WinDbg prints it when the
/// table cannot be read, with the reason after the listing.
public struct ProcessListing: Encodable {
  /// One field's offset and where it came from.
  public struct Offset: Encodable {
    /// `STRUCT.Member`, as `KernelTypeLayout.Field` names it.
    public var field: String
    /// Bytes from the start of the structure.
    public var offset: Int
    /// Where the offset came from (`KernelTypeLayout.origins`).
    public var origin: String
  }

  /// One thread's kernel stack, or why it has none.
  public struct Stack: Encodable {
    /// The ETHREAD's address.
    public var thread: UInt64
    /// The walked stack, or nil with `problem`.
    public var stack: ThreadStack?
    public var problem: String?
  }

  /// The dump file as given on the command line.
  public var file: String
  /// Whether every list was walked to its end.
  public var complete: Bool
  /// Why the process list is missing or incomplete.
  public var problems: [String]
  /// What looked wrong on walks that still reached their ends.
  public var warnings: [String]
  /// Every field's offset that was known, with its origin.
  public var offsets: [Offset]
  /// Fields whose offsets are unknown for this dump.
  public var missingOffsets: [String]
  /// Why the kernel's own PDB gave no offsets (no symbol path, image or PDB not found, …).
  public var pdbProblem: String?
  /// The listed processes (every one, or those `--process` selected), with threads when asked.
  public var processes: [KernelProcess]
  /// The process asked for with `--process`, when none matched.
  public var unmatched: String?
  /// Each listed thread's kernel stack (with threads), in listing order.
  public var stacks: [Stack] = []
  let wide: Bool
  /// A symbol path was given, so its failure to give the nt PDB is worth a line of text.
  let showPDBProblem: Bool
  let showThreads: Bool
  let modules: [KernelModule]

  enum CodingKeys: String, CodingKey {
    case file, complete, problems, warnings, offsets, missingOffsets, pdbProblem, processes
    case unmatched, stacks
  }

  /// Addresses as `0x…` strings, as every crashsift JSON document writes them (a 64-bit kernel
  /// address does not survive a JSON number in most readers); ids and counts as numbers.
  struct ProcessJSON: Encodable {
    var address: String
    var processID: UInt64?
    var parentProcessID: UInt64?
    var imageName: String?
    var peb, directoryTableBase, objectTable: String?
    /// EPROCESS.Session ("0x0" outside every session) and the session's id.
    var session: String?
    var sessionID: UInt32?
    var createTime: UInt64?
    /// The handles in the process's handle table, or why they could not be counted.
    var handleCount: UInt32?
    var handleCountProblem: String?
    var threads: [ThreadJSON]
    var threadProblem: String?

    init(_ process: KernelProcess) {
      address = ProcessListing.json(process.address)
      processID = process.processID
      parentProcessID = process.parentProcessID
      imageName = process.imageName
      peb = process.peb.map(ProcessListing.json)
      directoryTableBase = process.directoryTableBase.map(ProcessListing.json)
      objectTable = process.objectTable.map(ProcessListing.json)
      session = process.session.map(ProcessListing.json)
      sessionID = process.sessionID
      createTime = process.createTime
      handleCount = process.handleCount
      handleCountProblem = process.handleCountProblem
      threads = process.threads.map(ThreadJSON.init)
      threadProblem = process.threadProblem
    }
  }

  struct ThreadJSON: Encodable {
    var address: String
    var processID, threadID: UInt64?
    var teb: String?
    var state, waitReason, waitMode: UInt8?
    var priority: Int8?
    var kernelTime, userTime: UInt32?
    var win32StartAddress, initialStack, stackLimit, stackBase, kernelStack: String?

    init(_ thread: KernelThread) {
      address = ProcessListing.json(thread.address)
      (processID, threadID) = (thread.processID, thread.threadID)
      teb = thread.teb.map(ProcessListing.json)
      (state, waitReason, waitMode) = (thread.state, thread.waitReason, thread.waitMode)
      priority = thread.priority
      (kernelTime, userTime) = (thread.kernelTime, thread.userTime)
      win32StartAddress = thread.win32StartAddress.map(ProcessListing.json)
      initialStack = thread.initialStack.map(ProcessListing.json)
      stackLimit = thread.stackLimit.map(ProcessListing.json)
      stackBase = thread.stackBase.map(ProcessListing.json)
      kernelStack = thread.kernelStack.map(ProcessListing.json)
    }
  }

  struct StackJSON: Encodable {
    var thread: String
    var stack: ThreadStack?
    var problem: String?
  }

  static func json(_ address: UInt64) -> String { "0x" + String(address, radix: 16) }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(file, forKey: .file)
    try container.encode(complete, forKey: .complete)
    try container.encode(problems, forKey: .problems)
    try container.encode(warnings, forKey: .warnings)
    try container.encode(offsets, forKey: .offsets)
    try container.encode(missingOffsets, forKey: .missingOffsets)
    try container.encodeIfPresent(pdbProblem, forKey: .pdbProblem)
    try container.encode(processes.map(ProcessJSON.init), forKey: .processes)
    try container.encodeIfPresent(unmatched, forKey: .unmatched)
    try container.encode(
      stacks.map { StackJSON(thread: Self.json($0.thread), stack: $0.stack, problem: $0.problem) },
      forKey: .stacks)
  }

  /// The listing of `dump`: every process (`select` nil), or those `select` names (an EPROCESS
  /// address, a process id, decimal or 0x-hex, or an image name); threads when `threads`, each
  /// with its kernel stack (the crashing thread's as `analyze` walks it, the others' from their
  /// switch frames) when `stacks`, symbolized through `symbols`.
  public init(
    _ dump: KernelDump, name: String, select: String? = nil, threads: Bool, stacks: Bool = false,
    symbols: SymbolTableCache? = nil
  ) {
    let (layout, pdbProblem) = KernelTypesFromPDB.layout(of: dump, symbols: symbols)
    self.pdbProblem = pdbProblem
    let list = KernelProcessList.read(from: dump, layout: layout, threads: threads)
    file = name
    complete = list.isComplete
    problems = list.problems
    warnings = list.warnings
    offsets = KernelTypeLayout.Field.allCases.compactMap { field in
      guard let offset = list.layout[field] else { return nil }
      return Offset(
        field: field.rawValue, offset: offset, origin: list.layout.origins[field] ?? "")
    }
    missingOffsets = list.layout.missing.map(\.rawValue)
    wide = dump.header.is64Bit
    showPDBProblem = symbols != nil
    showThreads = threads
    modules = dump.modules
    var chosen = list.processes
    if let select {
      chosen = Self.select(select, from: list.processes)
      if chosen.isEmpty { unmatched = select }
    }
    processes =
      threads
      ? chosen
      : chosen.map { process in
        var bare = process
        bare.threads = []
        return bare
      }
    guard threads && stacks else { return }
    // A hostile dump can list very many threads: stacks are walked for the first ones only.
    let allThreads = processes.flatMap(\.threads)
    if allThreads.count > Self.maxStacks {
      self.warnings.append(
        "\(allThreads.count) threads: stacks walked for the first \(Self.maxStacks) only")
    }
    let processors = dump.processors()
    for thread in allThreads.prefix(Self.maxStacks) {
      if thread.address == dump.currentThread {
        let stack = ThreadStack.crashingThread(of: dump, symbols: symbols)
        self.stacks.append(
          Stack(
            thread: thread.address, stack: stack,
            problem: stack == nil ? "the dump has no header context" : nil))
        continue
      }
      switch SwitchFrame.start(of: thread, in: dump, processors: processors) {
      case .context(let context):
        let stack = ThreadStack.kernelThread(of: dump, context: context, symbols: symbols)
        self.stacks.append(Stack(thread: thread.address, stack: stack, problem: nil))
      case .unavailable(let reason):
        self.stacks.append(Stack(thread: thread.address, stack: nil, problem: reason))
      }
    }
  }

  /// Threads whose stacks one listing walks at most.
  static let maxStacks = 20_000

  /// The processes `selector` names: an EPROCESS address or process id (0x-hex, or decimal
  /// digits as a process id), else an image name (ImageFileName keeps 14 characters).
  static func select(_ selector: String, from processes: [KernelProcess]) -> [KernelProcess] {
    let text = String(selector.filter { !$0.isWhitespace })
    var number: UInt64?
    if text.lowercased().hasPrefix("0x") {
      number = UInt64(text.dropFirst(2), radix: 16)
    } else if text.allSatisfy(\.isNumber) {
      number = UInt64(text)
    } else if text.count >= 8, text.allSatisfy(\.isHexDigit) {
      number = UInt64(text, radix: 16)
    }
    if let number {
      let byAddress = processes.filter { $0.address == number }
      return byAddress.isEmpty ? processes.filter { $0.processID == number } : byAddress
    }
    let wanted = text.lowercased()
    return processes.filter { process in
      guard let image = process.imageName?.lowercased() else { return false }
      return image == wanted || (image.count == 14 && wanted.hasPrefix(image))
    }
  }

  /// WinDbg's SessionId: `none` outside every session, the id in decimal, `?` when unknown.
  static func sessionText(_ process: KernelProcess) -> String {
    guard let session = process.session else { return "?" }
    if session == 0 { return "none" }
    return process.sessionID.map { String($0) } ?? "?"
  }

  /// WinDbg's HandleCount: decimal right-aligned in three columns and a `.`, or its
  /// `<Data Not Accessible>`.
  static func handleText(_ process: KernelProcess) -> String {
    guard let count = process.handleCount else { return "<Data Not Accessible>" }
    let digits = String(count)
    return String(repeating: " ", count: max(0, 3 - digits.count)) + digits + "."
  }

  /// WinDbg's `!process` layout.
  public var text: String {
    var lines: [String] = []
    var stackIndex: [UInt64: Int] = [:]
    for (index, entry) in stacks.enumerated() where stackIndex[entry.thread] == nil {
      stackIndex[entry.thread] = index
    }
    if let unmatched {
      lines.append("No process matches \(unmatched).")
    } else {
      lines.append("**** NT ACTIVE PROCESS DUMP ****")
    }
    for process in processes {
      lines.append(
        "PROCESS \(pointer(process.address))"
          + "\n    SessionId: \(Self.sessionText(process))  Cid: \(id(process.processID))    Peb: \(short(process.peb))  ParentCid: \(id(process.parentProcessID))"
          + "\n    DirBase: \(short(process.directoryTableBase))  ObjectTable: \(pointer(process.objectTable))  HandleCount: \(Self.handleText(process))"
          + "\n    Image: \(process.imageName ?? "?")")
      if showThreads {
        for thread in process.threads {
          lines.append(threadText(thread))
          guard let entry = stackIndex[thread.address].map({ stacks[$0] }) else { continue }
          if let stack = entry.stack {
            let listing = stack.text(x64: wide).split(
              separator: "\n", omittingEmptySubsequences: false)
            lines.append("")
            lines += listing.map { "            " + $0 }
            lines.append("")
          } else if let problem = entry.problem {
            lines.append("            (no stack: \(problem))")
          }
        }
        if let problem = process.threadProblem {
          lines.append("        (\(problem))")
        }
      }
      lines.append("")
    }
    if !problems.isEmpty {
      lines.append("Incomplete:")
      lines += problems.map { "  \($0)" }
    }
    let unread = processes.filter { $0.handleCount == nil && $0.objectTable != nil }
    if !unread.isEmpty {
      lines.append("Handle counts not read:")
      lines += unread.map {
        "  \(pointer($0.address)) \($0.imageName ?? "?"): \($0.handleCountProblem ?? "?")"
      }
    }
    if !warnings.isEmpty {
      lines.append("Warnings:")
      lines += warnings.map { "  \($0)" }
    }
    if let pdbProblem, showPDBProblem {
      lines.append("Offsets not from the nt PDB: \(pdbProblem)")
    }
    if !missingOffsets.isEmpty && !processes.isEmpty {
      lines.append(
        "Offsets unknown for this build (shown as ?): \(missingOffsets.joined(separator: ", "))")
    }
    return lines.joined(separator: "\n") + "\n"
  }

  func threadText(_ thread: KernelThread) -> String {
    var line =
      "        THREAD \(pointer(thread.address))  Cid \(id(thread.processID)).\(id(thread.threadID))  Teb: \(pointer(thread.teb)) \(stateText(thread))"
    var detail: [String] = []
    if let priority = thread.priority { detail.append("Priority \(priority)") }
    if let kernel = thread.kernelTime, let user = thread.userTime {
      detail.append("Ticks kernel \(kernel) user \(user)")
    }
    if let start = thread.win32StartAddress, start != 0 {
      detail.append("Win32 Start Address \(located(start))")
    }
    if !detail.isEmpty { line += "\n            " + detail.joined(separator: "  ") }
    if thread.initialStack != nil || thread.kernelStack != nil {
      line +=
        "\n            Stack Init \(pointer(thread.initialStack)) Current \(pointer(thread.kernelStack))"
        + "\n            Base \(pointer(thread.stackBase)) Limit \(pointer(thread.stackLimit))"
    }
    return line
  }

  /// `WAIT: (Reason) KernelMode`, `RUNNING`, `READY`… as WinDbg words the thread's state.
  func stateText(_ thread: KernelThread) -> String {
    guard let state = thread.state else { return "STATE: ?" }
    if state == 5 {
      let reason = thread.waitReasonName ?? "?"
      let mode = thread.waitMode.map { $0 == 0 ? "KernelMode" : "UserMode" } ?? "?"
      return "WAIT: (\(reason)) \(mode)"
    }
    return (thread.stateName ?? "state \(state)").uppercased()
  }

  func located(_ address: UInt64) -> String {
    guard let module = modules.first(where: { $0.contains(address) }) else {
      return pointer(address)
    }
    return "\(module.name)+0x\(String(address &- module.base, radix: 16)) (\(pointer(address)))"
  }

  func pointer(_ value: UInt64?) -> String {
    guard let value else { return wide ? String(repeating: "?", count: 16) : "????????" }
    return Self.hex(value, digits: wide ? 16 : 8)
  }

  func short(_ value: UInt64?) -> String {
    value.map { Self.hex($0, digits: 8) } ?? "????????"
  }

  func id(_ value: UInt64?) -> String {
    value.map { Self.hex($0, digits: 4) } ?? "????"
  }

  /// Zero-padded hex without `0x`, as WinDbg prints addresses and ids in `!process`.
  static func hex(_ value: UInt64, digits: Int) -> String {
    String(KernelDumpReport.hex(value, digits: digits).dropFirst(2))
  }
}
