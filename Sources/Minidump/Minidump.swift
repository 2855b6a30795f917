import ByteReader
@_exported import CPUContexts
@_exported import CodeView

/// A user-mode minidump (MDMP), memory-mapped; streams are parsed when asked for.
///
/// Opening reads only the header and the stream directory. Each accessor parses its stream and
/// throws a `ParseError` naming the stream when it is malformed; a missing stream is `nil`. One bad
/// stream never hides the others. Counts are checked against the stream's size before anything is
/// allocated, so a hostile count cannot allocate more than the file holds.
/// Layouts: reference/minidump.md §2 (rust-minidump `format.rs`, breakpad `minidump_format.h`).
public final class Minidump: Sendable {
  public let file: MappedFile
  public let header: MinidumpHeader
  /// Every directory entry, in file order (unused and unknown ones included).
  public let directory: [MinidumpDirectoryEntry]
  /// The CPU from SystemInfo, read once at open (contexts and crash addresses depend on it);
  /// `nil` when the stream is missing or unreadable.
  public let architecture: ProcessorArchitecture?

  private var reader: ByteReader { file.reader }

  /// Maps and opens the minidump at `path`.
  public convenience init(path: String) throws(ParseError) {
    try self.init(file: MappedFile(path: path))
  }

  public init(file: MappedFile) throws(ParseError) {
    self.file = file
    let reader = file.reader
    header = try MinidumpHeader(reader)
    let count = Int(header.streamCount)
    let start = Int(header.streamDirectoryRVA)
    let (bytes, overflow) = count.multipliedReportingOverflow(by: 12)
    guard !overflow, reader.contains(offset: start, count: bytes) else {
      throw ParseError(
        "stream directory", offset: start,
        "\(count) entries of 12 bytes do not fit in the \(reader.count)-byte file")
    }
    var entries: [MinidumpDirectoryEntry] = []
    entries.reserveCapacity(count)
    for index in 0..<count {
      let offset = start + index * 12
      entries.append(
        MinidumpDirectoryEntry(
          index: index, type: MinidumpStreamType(rawValue: try reader.u32(at: offset, "directory")),
          dataSize: try reader.u32(at: offset + 4, "directory"),
          rva: try reader.u32(at: offset + 8, "directory")))
    }
    directory = entries
    if let system = entries.first(where: { $0.type == .systemInfo }), system.dataSize >= 2,
      let value = try? reader.u16(at: Int(system.rva), "SystemInfo stream")
    {
      architecture = ProcessorArchitecture(rawValue: value)
    } else {
      architecture = nil
    }
  }

  /// The first directory entry of `type`.
  public func entry(_ type: MinidumpStreamType) -> MinidumpDirectoryEntry? {
    directory.first { $0.type == type }
  }

  /// Streams this reader does not interpret (vendor or future types), for listing.
  public var uninterpretedStreams: [MinidumpDirectoryEntry] {
    let known: Set<MinidumpStreamType> = [
      .unused, .threadList, .moduleList, .memoryList, .exception, .systemInfo, .threadExList,
      .memory64List, .handleData, .unloadedModuleList, .miscInfo, .memoryInfoList,
      .threadInfoList, .threadNames, .breakpadInfo, .assertionInfo, .crashpadInfo,
    ]
    return directory.filter { !known.contains($0.type) }
  }

  /// Directory entries whose data does not lie inside the file, each as an error naming the
  /// stream (unused entries are ignored). The other streams stay readable.
  public var directoryProblems: [ParseError] {
    directory.compactMap { (entry) -> ParseError? in
      guard entry.type != .unused else { return nil }
      do throws(ParseError) {
        _ = try data(entry)
        return nil
      } catch {
        return error
      }
    }
  }

  /// The bytes of a stream.
  public func data(_ entry: MinidumpDirectoryEntry) throws(ParseError) -> ByteReader {
    try reader.window(at: Int(entry.rva), count: Int(entry.dataSize), "\(entry.type.name) stream")
  }

  private func stream(_ type: MinidumpStreamType) throws(ParseError) -> ByteReader? {
    guard let entry = entry(type) else { return nil }
    return try data(entry)
  }

  /// Where the entries of a `u32 count` list start: after the count, or after 4 more bytes of
  /// padding that 64-bit writers add (breakpad `MinidumpThreadList::Read` and siblings).
  private func listStart(_ stream: ByteReader, entrySize: Int, _ what: String) throws(ParseError)
    -> (count: Int, start: Int)
  {
    let count = Int(try stream.u32(at: 0, what))
    let (bytes, overflow) = count.multipliedReportingOverflow(by: entrySize)
    guard !overflow, bytes <= stream.count - 4 else {
      throw ParseError(
        what, offset: stream.base,
        "count \(count) × \(entrySize) bytes does not fit in the \(stream.count)-byte stream")
    }
    return (count, stream.count - bytes == 8 ? 8 : 4)
  }

  // MARK: - Streams

  public func systemInfo() throws(ParseError) -> MinidumpSystemInfo? {
    guard let stream = try stream(.systemInfo) else { return nil }
    return try MinidumpSystemInfo(stream, file: reader)
  }

  /// Threads from ThreadList (or ThreadExList), with names from ThreadNames when present.
  public func threads() throws(ParseError) -> [MinidumpThread]? {
    let extended: Bool
    let stream: ByteReader
    if let list = try self.stream(.threadList) {
      stream = list
      extended = false
    } else if let list = try self.stream(.threadExList) {
      stream = list
      extended = true
    } else {
      return nil
    }
    let what = extended ? "ThreadExList stream" : "ThreadList stream"
    let entrySize = extended ? 64 : 48
    let (count, start) = try listStart(stream, entrySize: entrySize, what)
    let architecture = self.architecture
    let names = (try? threadNames()) ?? [:]
    var threads: [MinidumpThread] = []
    threads.reserveCapacity(count)
    for index in 0..<count {
      let o = start + index * entrySize
      var thread = MinidumpThread(
        threadID: try stream.u32(at: o, what), suspendCount: try stream.u32(at: o + 4, what),
        priorityClass: try stream.u32(at: o + 8, what), priority: try stream.u32(at: o + 12, what),
        teb: try stream.u64(at: o + 16, what),
        stack: MinidumpMemoryDescriptor(
          start: try stream.u64(at: o + 24, what), size: UInt64(try stream.u32(at: o + 32, what)),
          rva: UInt64(try stream.u32(at: o + 36, what))),
        contextLocation: MinidumpLocation(
          dataSize: try stream.u32(at: o + 40, what), rva: try stream.u32(at: o + 44, what)),
        context: nil, contextError: nil, name: nil)
      do {
        let raw = try reader.window(
          at: Int(thread.contextLocation.rva), count: Int(thread.contextLocation.dataSize),
          "thread context")
        thread.context = try CPUContext.read(raw, architecture: architecture)
      } catch {
        thread.contextError = error.description
      }
      thread.name = names[thread.threadID]
      threads.append(thread)
    }
    return threads
  }

  /// Thread id → name, from the ThreadNames stream (entries of 12 bytes: id, RVA64).
  public func threadNames() throws(ParseError) -> [UInt32: String]? {
    guard let stream = try stream(.threadNames) else { return nil }
    let what = "ThreadNames stream"
    let (count, _) = try listStart(stream, entrySize: 12, what)
    var names: [UInt32: String] = [:]
    var budget = DecodeBudget()
    for index in 0..<count {
      let o = 4 + index * 12
      let id = try stream.u32(at: o, what)
      let rva = try stream.u64(at: o + 4, what)
      guard rva <= UInt64(UInt32.max) else {
        throw ParseError(
          what, offset: stream.base + o, "name RVA 0x\(String(rva, radix: 16)) is past 4 GiB")
      }
      names[id] = try MinidumpString.read(reader, rva: UInt32(rva), "thread name", budget: &budget)
    }
    return names
  }

  public func modules() throws(ParseError) -> [MinidumpModule]? {
    guard let stream = try stream(.moduleList) else { return nil }
    let (count, start) = try listStart(stream, entrySize: MinidumpModule.size, "ModuleList stream")
    var modules: [MinidumpModule] = []
    modules.reserveCapacity(count)
    var budget = DecodeBudget()
    for index in 0..<count {
      do {
        modules.append(
          try MinidumpModule(
            stream, at: start + index * MinidumpModule.size, file: reader, budget: &budget))
      } catch {
        throw error.within("ModuleList stream, module \(index)")
      }
    }
    return modules
  }

  public func unloadedModules() throws(ParseError) -> [MinidumpUnloadedModule]? {
    guard let stream = try stream(.unloadedModuleList) else { return nil }
    let what = "UnloadedModuleList stream"
    var modules: [MinidumpUnloadedModule] = []
    var budget = DecodeBudget()
    for o in try sizedList(stream, what, minHeader: 12, minEntry: 24) {
      modules.append(
        MinidumpUnloadedModule(
          baseOfImage: try stream.u64(at: o, what), sizeOfImage: try stream.u32(at: o + 8, what),
          checksum: try stream.u32(at: o + 12, what),
          timeDateStamp: try stream.u32(at: o + 16, what),
          name: try MinidumpString.read(
            reader, rva: try stream.u32(at: o + 20, what), "unloaded module name", budget: &budget))
      )
    }
    return modules
  }

  public func exception() throws(ParseError) -> MinidumpException? {
    guard let stream = try stream(.exception) else { return nil }
    return try MinidumpException(stream, file: reader, architecture: architecture)
  }

  /// Breakpad's crash reason and address for the exception, if there is one.
  public func crashReason() throws(ParseError) -> CrashReason? {
    guard let exception = try exception() else { return nil }
    return crashReason(for: exception)
  }

  /// Breakpad's crash reason and address for an exception already read from this dump.
  public func crashReason(for exception: MinidumpException) -> CrashReason {
    CrashReason(exception: exception, architecture: architecture, windows: isWindows)
  }

  /// Whether SystemInfo names a Windows platform (or is missing: most dumps are Windows').
  public var isWindows: Bool {
    guard let system = entry(.systemInfo), system.dataSize >= 24,
      let platform = try? file.reader.u32(at: Int(system.rva) + 20, "SystemInfo stream")
    else { return true }
    return platform == 1 || platform == 2
  }

  /// MemoryList and Memory64List ranges together.
  public func memory() throws(ParseError) -> MinidumpMemoryList {
    var ranges: [MinidumpMemoryDescriptor] = []
    if let stream = try stream(.memoryList) {
      let what = "MemoryList stream"
      let (count, start) = try listStart(stream, entrySize: 16, what)
      for index in 0..<count {
        let o = start + index * 16
        ranges.append(
          MinidumpMemoryDescriptor(
            start: try stream.u64(at: o, what), size: UInt64(try stream.u32(at: o + 8, what)),
            rva: UInt64(try stream.u32(at: o + 12, what))))
      }
    }
    if let stream = try stream(.memory64List) {
      let what = "Memory64List stream"
      let count = try stream.u64(at: 0, what)
      var rva = try stream.u64(at: 8, what)
      guard count <= UInt64((stream.count - 16) / 16) else {
        throw ParseError(what, offset: stream.base, "count \(count) does not fit in the stream")
      }
      for index in 0..<Int(count) {
        let o = 16 + index * 16
        let start = try stream.u64(at: o, what)
        let size = try stream.u64(at: o + 8, what)
        ranges.append(MinidumpMemoryDescriptor(start: start, size: size, rva: rva))
        // The data is contiguous from base_rva in descriptor order.
        let (next, overflow) = rva.addingReportingOverflow(size)
        guard !overflow else {
          throw ParseError(what, offset: stream.base + o, "ranges overflow the file offset")
        }
        rva = next
      }
    }
    return MinidumpMemoryList(ranges: ranges, file: reader)
  }

  public func miscInfo() throws(ParseError) -> MinidumpMiscInfo? {
    guard let stream = try stream(.miscInfo) else { return nil }
    return try MinidumpMiscInfo(stream)
  }

  public func breakpadInfo() throws(ParseError) -> MinidumpBreakpadInfo? {
    guard let stream = try stream(.breakpadInfo) else { return nil }
    let what = "BreakpadInfo stream"
    return MinidumpBreakpadInfo(
      validity: try stream.u32(at: 0, what), dumpThreadID: try stream.u32(at: 4, what),
      requestingThreadID: try stream.u32(at: 8, what))
  }

  public func assertionInfo() throws(ParseError) -> MinidumpAssertionInfo? {
    guard let stream = try stream(.assertionInfo) else { return nil }
    let what = "AssertionInfo stream"
    return MinidumpAssertionInfo(
      expression: try MinidumpString.fixed(stream, at: 0, units: 128, what),
      function: try MinidumpString.fixed(stream, at: 256, units: 128, what),
      file: try MinidumpString.fixed(stream, at: 512, units: 128, what),
      line: try stream.u32(at: 768, what), type: try stream.u32(at: 772, what))
  }

  public func memoryInfo() throws(ParseError) -> [MinidumpMemoryInfo]? {
    guard let stream = try stream(.memoryInfoList) else { return nil }
    let what = "MemoryInfoList stream"
    var regions: [MinidumpMemoryInfo] = []
    for o in try sizedList(stream, what, minHeader: 16, minEntry: 48, count64: true) {
      regions.append(
        MinidumpMemoryInfo(
          baseAddress: try stream.u64(at: o, what), allocationBase: try stream.u64(at: o + 8, what),
          allocationProtect: try stream.u32(at: o + 16, what),
          regionSize: try stream.u64(at: o + 24, what),
          state: try stream.u32(at: o + 32, what), protect: try stream.u32(at: o + 36, what),
          type: try stream.u32(at: o + 40, what)))
    }
    return regions
  }

  /// The entry offsets of a "sized" list stream — `{u32 header size, u32 entry size, count}` then
  /// entries (UnloadedModuleList, MemoryInfoList, ThreadInfoList, HandleData) — after checking
  /// that header and entries fit the stream. `count64`: the count is a u64 (MemoryInfoList).
  private func sizedList(
    _ stream: ByteReader, _ what: String, minHeader: Int, minEntry: Int, count64: Bool = false
  ) throws(ParseError) -> [Int] {
    let headerSize = Int(try stream.u32(at: 0, what))
    let entrySize = Int(try stream.u32(at: 4, what))
    let rawCount = count64 ? try stream.u64(at: 8, what) : UInt64(try stream.u32(at: 8, what))
    let limit = UInt64(stream.count / max(entrySize, 1))
    guard headerSize >= minHeader, entrySize >= minEntry, rawCount <= limit,
      stream.contains(offset: headerSize, count: Int(rawCount) * entrySize)
    else {
      throw ParseError(
        what, offset: stream.base,
        "header \(headerSize), entry \(entrySize), count \(rawCount) do not fit the \(stream.count)-byte stream"
      )
    }
    return (0..<Int(rawCount)).map { headerSize + $0 * entrySize }
  }

  public func threadInfo() throws(ParseError) -> [MinidumpThreadInfo]? {
    guard let stream = try stream(.threadInfoList) else { return nil }
    let what = "ThreadInfoList stream"
    var infos: [MinidumpThreadInfo] = []
    for o in try sizedList(stream, what, minHeader: 12, minEntry: 64) {
      infos.append(
        MinidumpThreadInfo(
          threadID: try stream.u32(at: o, what), dumpFlags: try stream.u32(at: o + 4, what),
          dumpError: try stream.u32(at: o + 8, what), exitStatus: try stream.u32(at: o + 12, what),
          createTime: try stream.u64(at: o + 16, what), exitTime: try stream.u64(at: o + 24, what),
          kernelTime: try stream.u64(at: o + 32, what), userTime: try stream.u64(at: o + 40, what),
          startAddress: try stream.u64(at: o + 48, what), affinity: try stream.u64(at: o + 56, what)
        ))
    }
    return infos
  }

  public func handles() throws(ParseError) -> [MinidumpHandle]? {
    guard let stream = try stream(.handleData) else { return nil }
    let what = "HandleData stream"
    var handles: [MinidumpHandle] = []
    var budget = DecodeBudget()
    for o in try sizedList(stream, what, minHeader: 16, minEntry: 32) {
      let typeRVA = try stream.u32(at: o + 8, what)
      let objectRVA = try stream.u32(at: o + 12, what)
      handles.append(
        MinidumpHandle(
          handle: try stream.u64(at: o, what),
          typeName: typeRVA == 0
            ? nil : try? MinidumpString.read(reader, rva: typeRVA, "handle type", budget: &budget),
          objectName: objectRVA == 0
            ? nil
            : try? MinidumpString.read(reader, rva: objectRVA, "handle name", budget: &budget),
          attributes: try stream.u32(at: o + 16, what),
          grantedAccess: try stream.u32(at: o + 20, what),
          handleCount: try stream.u32(at: o + 24, what),
          pointerCount: try stream.u32(at: o + 28, what)))
    }
    return handles
  }
}
