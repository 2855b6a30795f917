import ByteReader
import CPUContexts

/// A Windows kernel dump (`PAGEDU64`, or 32-bit `PAGEDUMP`), memory-mapped.
///
/// Opening reads the 0x2000-byte header, the header context and exception record, and for triage
/// dumps (type 4) the triage header, driver list, unloaded drivers, KDDEBUGGER_DATA64 copy and
/// the map of the virtual memory the dump holds. Nothing scans the file. What could not be read is
/// listed in `problems` instead of failing the open, so a damaged dump still yields its bugcheck.
/// Full, bitmap and RDMP dumps get a physical-memory map (built from the header; a bitmap's rank
/// index only on first use), page-table translation (x64, ARM64, x86 with or without PAE), and
/// the module list walked from PsLoadedModuleList. 32-bit dumps are read the same way (full,
/// bitmap and triage); 32-bit RDMP dumps are reported as unsupported. Addresses of 32-bit kernels
/// are kept as their 32 bits (`PagingMode.canonical`).
public final class KernelDump: Sendable {
  public let file: MappedFile
  public let header: KernelDumpHeader
  /// The header context (0x348): the CPU state saved at the crash (it depends on how the dump was
  /// made, reference/kernel-dumps.md §2.3).
  public let context: CPUContext?
  public let exception: KernelExceptionRecord?
  public let triage: TriageDumpHeader?
  public let debuggerData: KDDebuggerData?
  /// Loaded drivers, in list order.
  public let modules: [KernelModule]
  public let unloadedDrivers: [UnloadedDriver]
  /// Virtual memory present in the file, sorted by address.
  public let virtualRanges: [VirtualRange]
  /// The crashing processor's current thread and its process (from the PRCB and ETHREAD copies).
  public let currentThread: UInt64?
  public let currentProcess: UInt64?
  /// `EPROCESS.ImageFileName` where its offset is known for the build, else `nil`.
  public let processName: String?
  /// Physical pages and page tables of full, bitmap and RDMP dumps; `nil` for triage dumps.
  let paged: PagedMemory?
  /// Everything that could not be read, each with its reason.
  public let problems: [String]

  /// Limits that keep a hostile dump from allocating without bound (real dumps hold a few hundred
  /// drivers and a few thousand data blocks).
  static let maxDrivers = 65_536
  static let maxDataBlocks = 1_000_000

  public convenience init(path: String) throws(ParseError) {
    try self.init(file: MappedFile(path: path))
  }

  public init(file: MappedFile) throws(ParseError) {
    self.file = file
    let r = file.reader
    header = try KernelDumpHeader.read(r)
    var problems: [String] = []
    let mode = PagingMode.of(machine: header.machineImageType, paeEnabled: header.paeEnabled)

    var context: CPUContext?
    do {
      switch header.machineImageType {
      case 0x8664 where header.is64Bit:
        context = .amd64(
          try ContextAMD64(try r.window(at: 0x348, count: ContextAMD64.size, "header context")))
      case 0xAA64 where header.is64Bit:
        context = .arm64(
          try ContextARM64(try r.window(at: 0x348, count: ContextARM64.size, "header context")))
      case 0x14C where !header.is64Bit:
        context = .x86(
          try ContextX86(try r.window(at: 0x320, count: ContextX86.size, "header context")))
      default:
        problems.append(
          "header context: machine type 0x\(String(header.machineImageType, radix: 16)) in a \(header.is64Bit ? 64 : 32)-bit dump is not supported"
        )
      }
    } catch {
      problems.append(error.description)
    }
    self.context = context
    exception =
      header.is64Bit
      ? try? KernelExceptionRecord(r, at: 0xF00)
      : try? KernelExceptionRecord(record32: r, at: 0x7D0)

    guard header.dumpType == .triage else {
      triage = nil
      unloadedDrivers = []
      virtualRanges = []
      var paged: PagedMemory?
      do {
        let map = try PhysicalMemoryReader.map(file, header: header)
        paged = PagedMemory(
          file: file, map: map, directoryTableBase: header.directoryTableBase, mode: mode,
          build: header.minorVersion)
        if mode == nil {
          problems.append(
            "virtual memory: unsupported: translation for machine \(header.machineName) is not implemented"
          )
        }
      } catch {
        problems.append(error.description)
      }
      self.paged = paged
      var debuggerData: KDDebuggerData?
      var modules: [KernelModule] = []
      var thread: UInt64?
      var process: UInt64?
      if let paged, mode != nil, let kdbg = header.kdDebuggerDataBlock {
        do {
          // 0x348 covers OffsetKThreadStackLimit/StackBase; older blocks end at 0x340.
          let bytes = try (try? paged.read(kdbg, count: 0x348)) ?? paged.read(kdbg, count: 0x340)
          var kd = try KDDebuggerData(MappedFile(copying: bytes, label: "KDDEBUGGER_DATA64").reader)
          if !header.is64Bit { kd.narrowPointers() }
          debuggerData = kd
        } catch {
          problems.append("KDDEBUGGER_DATA64 at 0x\(String(kdbg, radix: 16)): \(error)")
        }
        if let head = header.psLoadedModuleList ?? debuggerData?.psLoadedModuleList {
          let (list, stop) = paged.modules(head: head)
          modules = list
          if let stop { problems.append(stop) }
        }
        if let kd = debuggerData {
          (thread, process) = Self.currentThread(paged, kd, header: header, context: context)
        }
      }
      self.debuggerData = debuggerData
      self.modules = modules
      currentThread = thread
      currentProcess = process
      var name: String?
      if let paged, let process,
        let offset = Self.imageFileNameOffset(
          machine: header.machineImageType, build: header.minorVersion),
        let bytes = try? paged.read(process &+ UInt64(offset), count: 15)
      {
        name = ImageFileNameOffsets.name(bytes)
      }
      processName = name
      self.problems = problems
      return
    }
    paged = nil

    let triage = try TriageDumpHeader(r, is64Bit: header.is64Bit)
    self.triage = triage
    if !triage.isValid {
      problems.append(
        "triage dump: no 'TRGD' marker at 0x\(String(triage.validOffset, radix: 16)); the dump may be incomplete"
      )
    }
    var debuggerData: KDDebuggerData?
    if triage.debuggerDataOffset != 0 {
      do {
        var kd = try KDDebuggerData(
          try r.window(
            at: Int(triage.debuggerDataOffset), count: Int(max(triage.debuggerDataSize, 0x340)),
            "KDDEBUGGER_DATA64 copy"))
        if !header.is64Bit { kd.narrowPointers() }
        debuggerData = kd
      } catch {
        problems.append(error.description)
      }
    }
    self.debuggerData = debuggerData
    var modules: [KernelModule] = []
    do {
      modules = try Self.readDrivers(r, triage)
    } catch {
      problems.append(error.description)
    }
    self.modules = modules
    var unloaded: [UnloadedDriver] = []
    do {
      unloaded = try Self.readUnloaded(r, triage)
    } catch {
      problems.append(error.description)
    }
    unloadedDrivers = unloaded

    // The crashing CPU's thread and process, from the copies the triage dump keeps.
    var thread: UInt64?
    var process: UInt64?
    let wide = header.is64Bit
    let pointer = { (offset: Int, what: String) -> UInt64? in
      wide ? try? r.u64(at: offset, what) : (try? r.u32(at: offset, what)).map(UInt64.init)
    }
    if let kd = debuggerData, triage.prcbOffset != 0 {
      thread = pointer(Int(triage.prcbOffset) + Int(kd.offsetPrcbCurrentThread), "PRCB copy")
      if triage.threadOffset != 0 {
        process = pointer(
          Int(triage.threadOffset) + Int(kd.offsetKThreadApcProcess), "ETHREAD copy")
      }
    }
    currentThread = thread
    currentProcess = process
    var name: String?
    if triage.processOffset != 0,
      let offset = Self.imageFileNameOffset(
        machine: header.machineImageType, build: header.minorVersion)
    {
      name =
        (try? r.cString(
          at: Int(triage.processOffset) + offset, maxLength: 15, "EPROCESS.ImageFileName"))
        .flatMap { ImageFileNameOffsets.name(Array($0.utf8)) }
    }
    processName = name

    var ranges: [VirtualRange] = []
    do {
      ranges = try Self.readDataBlocks(r, triage)
    } catch {
      problems.append(error.description)
    }
    func add(_ address: UInt64?, _ offset: UInt32, _ size: UInt64, _ source: String) {
      guard let address, offset != 0, size > 0 else { return }
      guard r.contains(offset: Int(offset), count: Int(size)) else {
        problems.append(
          "\(source) at 0x\(String(offset, radix: 16)) (\(size) bytes) runs past the end of the file"
        )
        return
      }
      ranges.append(
        VirtualRange(address: address, size: size, fileOffset: UInt64(offset), source: source))
    }
    add(
      header.kdDebuggerDataBlock, triage.debuggerDataOffset, UInt64(triage.debuggerDataSize),
      "KDDEBUGGER_DATA64 copy")
    if !header.is64Bit {
      // Data blocks hold 32-bit kernels' addresses sign-extended; keep their 32 bits.
      ranges = ranges.map {
        VirtualRange(
          address: $0.address & 0xFFFF_FFFF, size: $0.size, fileOffset: $0.fileOffset,
          source: $0.source)
      }
    }
    add(triage.topOfStack, triage.callStackOffset, UInt64(triage.sizeOfCallStack), "call stack")
    if let kd = debuggerData {
      add(thread, triage.threadOffset, UInt64(kd.sizeEThread), "ETHREAD copy")
      add(process, triage.processOffset, UInt64(kd.sizeEProcess), "EPROCESS copy")
    }
    virtualRanges = ranges.sorted { $0.address < $1.address }
    self.problems = problems
  }

  /// Where physical pages are (full, bitmap and RDMP dumps); `nil` for triage dumps.
  public var physicalMemory: PhysicalMemoryMap? { paged?.map }

  /// The 4 KiB physical page `pfn`, if the dump holds it.
  public func physicalPage(_ pfn: UInt64) -> UnsafeRawBufferPointer? { paged?.page(pfn) }

  /// How virtual addresses translate (`nil` for triage dumps and unsupported machines).
  public var pagingMode: PagingMode? { paged?.mode }

  /// Virtual-to-physical translation through the header's page tables (or `directoryTableBase`):
  /// x64, ARM64, x86 PAE or x86 (`pagingMode`).
  public func translate(virtual address: UInt64, directoryTableBase: UInt64? = nil) -> UInt64? {
    paged?.translate(address, directoryTableBase: directoryTableBase)
  }

  /// The crashing processor's current thread and its process: the KPRCB (from KiProcessorBlock)
  /// whose saved context has the header context's stack pointer, else processor 0
  /// (reference/kernel-dumps.md §2.3–2.4).
  static func currentThread(
    _ paged: PagedMemory, _ kd: KDDebuggerData, header: KernelDumpHeader, context: CPUContext?
  ) -> (UInt64?, UInt64?) {
    let count = min(Int(header.numberProcessors), 4096)
    var chosen: UInt64?
    let width = UInt64(paged.mode?.pointerSize ?? 8)
    // Where CONTEXT keeps the stack pointer: Rsp 0x98 (x64), Sp 0x100 (ARM64), Esp 0xC4 (x86).
    let spOffset: UInt64
    switch paged.mode {
    case .arm64: spOffset = 0x100
    case .x86, .x86PAE: spOffset = 0xC4
    default: spOffset = 0x98
    }
    for index in 0..<count {
      guard let prcb = try? paged.pointer(kd.kiProcessorBlock &+ UInt64(index) &* width) else {
        continue
      }
      if chosen == nil { chosen = prcb }
      if let sp = context?.stackPointer,
        let saved = try? paged.pointer(prcb &+ UInt64(kd.offsetPrcbContext)),
        (try? paged.pointer(saved &+ spOffset)) == sp
      {
        chosen = prcb
        break
      }
    }
    guard let prcb = chosen,
      let thread = try? paged.pointer(prcb &+ UInt64(kd.offsetPrcbCurrentThread))
    else {
      return (nil, nil)
    }
    return (thread, try? paged.pointer(thread &+ UInt64(kd.offsetKThreadApcProcess)))
  }

  /// `EPROCESS.ImageFileName`'s offset for the build (`ImageFileNameOffsets`), nil when unknown.
  static func imageFileNameOffset(machine: UInt32, build: UInt32) -> Int? {
    ImageFileNameOffsets.offset(machine: machine, build: build)
  }

  static func readDrivers(_ r: ByteReader, _ t: TriageDumpHeader) throws(ParseError)
    -> [KernelModule]
  {
    let w = "triage driver list"
    let count = Int(t.driverCount)
    // DUMP_DRIVER_ENTRY64: u32 name offset, u32 alignment, KLDR_DATA_TABLE_ENTRY64 (DllBase +0x30,
    // SizeOfImage +0x40, CheckSum +0x78, TimeDateStamp +0x80): 0x90 bytes. DUMP_DRIVER_ENTRY32:
    // u32 name offset, KLDR_DATA_TABLE_ENTRY32 (DllBase +0x18, SizeOfImage +0x20, CheckSum +0x40,
    // TimeDateStamp +0x44): 0x4C bytes (ntiodump.h; reference/kernel-dumps.md §1.7).
    let stride = t.is64Bit ? 0x90 : 0x4C
    let ldr = t.is64Bit ? 8 : 4
    let (base, size, checksum, stamp) =
      t.is64Bit ? (0x30, 0x40, 0x78, 0x80) : (0x18, 0x20, 0x40, 0x44)
    guard count <= maxDrivers, r.contains(offset: Int(t.driverListOffset), count: count * stride)
    else {
      throw ParseError(
        w, offset: Int(t.driverListOffset),
        "\(count) entries of 0x\(String(stride, radix: 16)) bytes do not fit in the file")
    }
    var modules: [KernelModule] = []
    modules.reserveCapacity(count)
    var budget = DecodeBudget()
    for index in 0..<count {
      let o = Int(t.driverListOffset) + index * stride
      let nameOffset = Int(try r.u32(at: o, w))
      // String pool record: u32 length in characters, then UTF-16LE text.
      let length = Int(try r.u32(at: nameOffset, "driver name"))
      guard length <= 4096 else {
        throw ParseError(
          "driver name", offset: nameOffset, "length \(length) characters is implausible")
      }
      try budget.spend(length * 2, "triage driver names")
      let path = try r.utf16(at: nameOffset + 4, byteCount: length * 2, "driver name")
      let name =
        path.split(whereSeparator: { $0 == "\\" || $0 == "/" }).last.map(String.init) ?? path
      modules.append(
        KernelModule(
          name: name, path: path,
          base: t.is64Bit
            ? try r.u64(at: o + ldr + base, w) : UInt64(try r.u32(at: o + ldr + base, w)),
          size: try r.u32(at: o + ldr + size, w),
          checksum: try r.u32(at: o + ldr + checksum, w),
          timeDateStamp: try r.u32(at: o + ldr + stamp, w)))
    }
    return modules
  }

  static func readUnloaded(_ r: ByteReader, _ t: TriageDumpHeader) throws(ParseError)
    -> [UnloadedDriver]
  {
    guard t.unloadedDriversOffset != 0 else { return [] }
    let w = "triage unloaded drivers"
    // A ULONG count (padded to 8 on 64-bit), then DUMP_UNLOADED_DRIVERS64 (UNICODE_STRING64,
    // WCHAR[12], u64 start and end: 0x38 bytes) or DUMP_UNLOADED_DRIVERS32 (UNICODE_STRING32,
    // WCHAR[12], u32 start and end: 0x28 bytes) (ntiodump.h).
    let count =
      t.is64Bit
      ? try r.u64(at: Int(t.unloadedDriversOffset), w)
      : UInt64(try r.u32(at: Int(t.unloadedDriversOffset), w))
    guard count <= 1024 else {
      throw ParseError(
        w, offset: Int(t.unloadedDriversOffset),
        "count \(count) is implausible (the kernel keeps at most 50)")
    }
    var drivers: [UnloadedDriver] = []
    for index in 0..<Int(count) {
      if t.is64Bit {
        let o = Int(t.unloadedDriversOffset) + 8 + index * 0x38
        let length = Int(try r.u16(at: o, w))
        let name = try r.utf16(at: o + 0x10, byteCount: min(length, 24), stopAtNUL: true, w)
        drivers.append(
          UnloadedDriver(
            name: name, start: try r.u64(at: o + 0x28, w), end: try r.u64(at: o + 0x30, w)))
      } else {
        let o = Int(t.unloadedDriversOffset) + 4 + index * 0x28
        let length = Int(try r.u16(at: o, w))
        let name = try r.utf16(at: o + 8, byteCount: min(length, 24), stopAtNUL: true, w)
        drivers.append(
          UnloadedDriver(
            name: name, start: UInt64(try r.u32(at: o + 0x20, w)),
            end: UInt64(try r.u32(at: o + 0x24, w))))
      }
    }
    return drivers
  }

  static func readDataBlocks(_ r: ByteReader, _ t: TriageDumpHeader) throws(ParseError)
    -> [VirtualRange]
  {
    guard t.dataBlocksOffset != 0, t.dataBlocksCount > 0 else { return [] }
    let w = "triage data blocks"
    let count = Int(t.dataBlocksCount)
    guard count <= maxDataBlocks, r.contains(offset: Int(t.dataBlocksOffset), count: count * 16)
    else {
      throw ParseError(
        w, offset: Int(t.dataBlocksOffset), "\(count) entries of 16 bytes do not fit in the file")
    }
    var ranges: [VirtualRange] = []
    ranges.reserveCapacity(count)
    for index in 0..<count {
      let o = Int(t.dataBlocksOffset) + index * 16
      let address = try r.u64(at: o, w)
      let offset = try r.u32(at: o + 8, w)
      let size = try r.u32(at: o + 12, w)
      guard r.contains(offset: Int(offset), count: Int(size)) else {
        throw ParseError(
          w, offset: o,
          "block \(index) at file offset 0x\(String(offset, radix: 16)) (\(size) bytes) runs past the end of the file"
        )
      }
      ranges.append(
        VirtualRange(
          address: address, size: UInt64(size), fileOffset: UInt64(offset), source: "data block"))
    }
    return ranges
  }

  /// The range holding `address`, by binary search.
  public func range(containing address: UInt64) -> VirtualRange? {
    guard let last = SortedSearch.lastIndex(in: virtualRanges, atMost: address, key: \.address)
    else {
      return nil
    }
    let low = last + 1
    // Ranges may overlap (a data block can cover a copy); look back a few for one that contains it.
    var index = low - 1
    var steps = 0
    while index >= 0 && steps < 8 {
      if address < virtualRanges[index].end { return virtualRanges[index] }
      index -= 1
      steps += 1
    }
    return nil
  }

  /// `count` bytes of virtual memory at `address`, when the dump holds all of them.
  public func read(virtual address: UInt64, count: Int) throws(ParseError) -> [UInt8] {
    if let paged { return try paged.read(address, count: count) }
    guard header.dumpType == .triage else {
      throw ParseError("virtual read", "\(header.dumpType.name) dump: no physical memory map")
    }
    guard count >= 0, let range = range(containing: address) else {
      throw ParseError(
        "virtual read", "0x\(String(address, radix: 16)) is not present in this triage dump")
    }
    let inRange = address - range.address
    guard UInt64(count) <= range.size - inRange else {
      throw ParseError(
        "virtual read",
        "0x\(String(address, radix: 16))+\(count) runs past the \(range.source) ending at 0x\(String(range.end, radix: 16))"
      )
    }
    return try file.reader.array(at: Int(range.fileOffset + inRange), count: count, "virtual read")
  }

  /// Reads `count` bytes at `address` page by page, zero-filling what the dump does not hold and
  /// listing those pages: for callers that can use part of a buffer (a stack with a hole).
  public func readPresent(virtual address: UInt64, count: Int) -> VirtualRead {
    let length = max(0, min(count, 1 << 30))
    var result = VirtualRead(bytes: [], missing: [])
    result.bytes.reserveCapacity(length)
    var current = address
    while result.bytes.count < length {
      let pageEnd = (current | 0xFFF) &+ 1
      // Wrapping arithmetic keeps the last page of the address space at 0x1000 bytes.
      let take = Int(min(UInt64(length - result.bytes.count), pageEnd &- current))
      if let chunk = try? read(virtual: current, count: take) {
        result.bytes += chunk
      } else {
        result.missing.append(current & ~0xFFF)
        result.bytes += [UInt8](repeating: 0, count: take)
      }
      current &+= UInt64(take)
    }
    return result
  }

  /// A little-endian u64 of virtual memory.
  public func u64(virtual address: UInt64) throws(ParseError) -> UInt64 {
    let bytes = try read(virtual: address, count: 8)
    var value: UInt64 = 0
    for index in 0..<8 { value |= UInt64(bytes[index]) << (8 * UInt64(index)) }
    return value
  }

  /// The loaded module containing `address`.
  public func module(containing address: UInt64) -> KernelModule? {
    modules.first { $0.contains(address) }
  }

  /// The kernel base (KDBG `KernBase`, else the module named like the kernel).
  public var kernelBase: UInt64? {
    debuggerData?.kernBase ?? modules.first?.base
  }
}
