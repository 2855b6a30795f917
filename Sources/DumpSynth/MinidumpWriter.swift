/// Writes an x64 user-mode minidump (MDMP; layouts: minidumpapiset.h, reference minidump.md §2):
/// SystemInfo, one thread with its CONTEXT and stack memory, the module list with CodeView
/// records, the memory list and the exception stream.
public struct MinidumpWriter {
  public struct Module {
    public var name: String
    public var base: UInt64
    public var size: UInt32
    public var checksum: UInt32
    public var timeDateStamp: UInt32
    /// The image's CodeView record (RSDS…), copied as is.
    public var codeView: [UInt8]

    public init(
      name: String, base: UInt64, size: UInt32, checksum: UInt32, timeDateStamp: UInt32,
      codeView: [UInt8]
    ) {
      self.name = name
      self.base = base
      self.size = size
      self.checksum = checksum
      self.timeDateStamp = timeDateStamp
      self.codeView = codeView
    }
  }

  public var modules: [Module] = []
  public var threadID: UInt32 = 0x1F40
  /// Integer registers by x64 encoding (0 RAX … 15 R15), plus `rip` and `rsp`.
  public var registers: [Int: UInt64] = [:]
  public var rip: UInt64 = 0
  public var rsp: UInt64 = 0
  /// The captured stack: its start address and bytes.
  public var stackStart: UInt64 = 0
  public var stack: [UInt8] = []
  public var exceptionCode: UInt32 = 0xC000_0005
  public var exceptionParameters: [UInt64] = []
  public var timeDateStamp: UInt32 = 0x6573_9A80

  public init() {}

  private var out: [UInt8] = []

  private mutating func put16(_ value: UInt16) { out += [UInt8(value & 0xFF), UInt8(value >> 8)] }
  private mutating func put32(_ value: UInt32) {
    for index in 0..<4 { out.append(UInt8((value >> (8 * UInt32(index))) & 0xFF)) }
  }
  private mutating func put64(_ value: UInt64) {
    for index in 0..<8 { out.append(UInt8((value >> (8 * UInt64(index))) & 0xFF)) }
  }
  private mutating func align() { while out.count % 8 != 0 { out.append(0) } }

  /// The x64 CONTEXT (1232 bytes): control, integer and segment registers valid.
  func context() -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 1232)
    func put(_ value: UInt64, _ offset: Int, _ width: Int) {
      for index in 0..<width {
        bytes[offset + index] = UInt8((value >> (8 * UInt64(index))) & 0xFF)
      }
    }
    put(0x10_0007, 0x30, 4)  // CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS
    put(0x1F80, 0x34, 4)
    put(0x33, 0x38, 2)  // CS
    put(0x2B, 0x42, 2)  // SS
    put(0x10246, 0x44, 4)
    for (register, value) in registers where register >= 0 && register < 16 {
      put(value, 0x78 + register * 8, 8)
    }
    put(rsp, 0x98, 8)
    put(rip, 0xF8, 8)
    return bytes
  }

  public func bytes() -> [UInt8] {
    var writer = self
    return writer.build()
  }

  private mutating func build() -> [UInt8] {
    out = []
    let streamCount: UInt32 = 5
    // Header; the directory follows at 0x20.
    put32(0x504D_444D)
    put32(0xA793)
    put32(streamCount)
    put32(0x20)
    put32(0)
    put32(timeDateStamp)
    put64(0)
    let directory = out.count
    out += [UInt8](repeating: 0, count: Int(streamCount) * 12)
    var entries: [(type: UInt32, size: Int, rva: Int)] = []

    // Payloads first, so the streams can point at them.
    align()
    let contextRVA = out.count
    out += context()
    align()
    let stackRVA = out.count
    out += stack
    align()
    var names: [Int] = []
    var codeViews: [Int] = []
    for module in modules {
      names.append(out.count)
      let units = Array(module.name.utf16)
      put32(UInt32(units.count * 2))
      for unit in units { put16(unit) }
      put16(0)
      align()
      codeViews.append(out.count)
      out += module.codeView
      align()
    }

    // SystemInfo: AMD64, Windows 10 19041, workstation.
    var start = out.count
    put16(9)
    put16(6)
    put16(0x5E03)
    out += [2, 1]
    put32(10)
    put32(0)
    put32(19041)
    put32(2)
    put32(0)
    put16(0x100)
    put16(0)
    out += [UInt8](repeating: 0, count: 24)
    entries.append((7, out.count - start, start))
    align()

    // ThreadList: one thread.
    start = out.count
    put32(1)
    put32(threadID)
    put32(0)
    put32(0x20)
    put32(0)
    put64(0x0000_00C1_2300_0000)
    put64(stackStart)
    put32(UInt32(stack.count))
    put32(UInt32(stackRVA))
    put32(1232)
    put32(UInt32(contextRVA))
    entries.append((3, out.count - start, start))
    align()

    // ModuleList.
    start = out.count
    put32(UInt32(modules.count))
    for (index, module) in modules.enumerated() {
      put64(module.base)
      put32(module.size)
      put32(module.checksum)
      put32(module.timeDateStamp)
      put32(UInt32(names[index]))
      // VS_FIXEDFILEINFO: signature, struct version, file version 10.0.19041.1
      put32(0xFEEF_04BD)
      put32(0x1_0000)
      put32(0xA_0000)
      put32(0x4A61_0001)
      put32(0xA_0000)
      put32(0x4A61_0001)
      out += [UInt8](repeating: 0, count: 52 - 24)
      put32(UInt32(module.codeView.count))
      put32(UInt32(codeViews[index]))
      put64(0)
      put64(0)
      put64(0)
    }
    entries.append((4, out.count - start, start))
    align()

    // MemoryList: the stack.
    start = out.count
    put32(1)
    put64(stackStart)
    put32(UInt32(stack.count))
    put32(UInt32(stackRVA))
    entries.append((5, out.count - start, start))
    align()

    // Exception.
    start = out.count
    put32(threadID)
    put32(0)
    put32(exceptionCode)
    put32(0)
    put64(0)
    put64(rip)
    put32(UInt32(min(exceptionParameters.count, 15)))
    put32(0)
    for index in 0..<15 {
      put64(index < exceptionParameters.count ? exceptionParameters[index] : 0)
    }
    put32(1232)
    put32(UInt32(contextRVA))
    entries.append((6, out.count - start, start))

    for (index, entry) in entries.enumerated() {
      let at = directory + index * 12
      for (offset, value) in [(0, entry.type), (4, UInt32(entry.size)), (8, UInt32(entry.rva))] {
        for byte in 0..<4 { out[at + offset + byte] = UInt8((value >> (8 * UInt32(byte))) & 0xFF) }
      }
    }
    return out
  }
}
