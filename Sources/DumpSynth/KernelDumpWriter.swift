import Foundation

/// Writes 64-bit kernel dumps of types 1, 5, 6, 8, 9 and 10 from a `SyntheticKernel`
/// (layouts: reference/kernel-dumps.md §1.1–1.6 and §4.3, which kdmp-parser accepts).
public struct KernelDumpWriter {
  /// How physical pages are laid out in the file.
  public enum Layout: Sendable {
    case full
    case bitmap(type: UInt32, signature: String)
    case rdmp(type: UInt32)

    var dumpType: UInt32 {
      switch self {
      case .full: return 1
      case .bitmap(let type, _), .rdmp(let type): return type
      }
    }
  }

  public var layout: Layout
  public var build: UInt32 = 19041
  public var processors: UInt32 = 2
  public var bugCheckCode: UInt32 = 0xD1
  public var bugCheckParameters: [UInt64] = [0x11, 0x2, 0x0, 0xFFFF_F800_1234_0000]
  public var psLoadedModuleList: UInt64?
  public var kdDebuggerDataBlock: UInt64?
  public var rip: UInt64 = 0xFFFF_F800_1234_0000
  public var rsp: UInt64 = 0xFFFF_F800_1234_5000
  /// Integer registers of the header CONTEXT by x64 encoding (0 RAX … 15 R15); RSP comes from
  /// `rsp`.
  public var registers: [Int: UInt64] = [:]
  public var systemTime: UInt64 = 0x01D7_07F2_3DBB_3399
  public var systemUpTime: UInt64 = 0x023B_C1E9
  /// Round a bitmap's length up to whole bytes. kdmp-parser 0.7.4 reads `Pages / 8` bytes and so
  /// loses pages in a partial last byte (reference/kernel-dumps.md §1.5); tests of the tail set
  /// this to false.
  public var roundBitmapBits = true

  public init(layout: Layout) { self.layout = layout }

  static func put32(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
    for index in 0..<4 { bytes[offset + index] = UInt8((value >> (8 * UInt32(index))) & 0xFF) }
  }

  static func put64(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
    for index in 0..<8 { bytes[offset + index] = UInt8((value >> (8 * UInt64(index))) & 0xFF) }
  }

  /// The dump bytes for `kernel`.
  public func bytes(_ kernel: SyntheticKernel) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 0x2000)
    // The 'PAGE' fill everywhere first, as Windows writes it.
    for offset in stride(from: 0, to: 0x2000, by: 4) {
      Self.put32(0x4547_4150, at: offset, in: &header)
    }
    header.replaceSubrange(0..<8, with: Array("PAGEDU64".utf8))
    Self.put32(0xF, at: 0x08, in: &header)
    Self.put32(build, at: 0x0C, in: &header)
    Self.put64(kernel.pml4PFN << 12, at: 0x10, in: &header)
    Self.put64(0xFFFF_F804_7C6F_C500, at: 0x18, in: &header)
    if let psLoadedModuleList { Self.put64(psLoadedModuleList, at: 0x20, in: &header) }
    Self.put64(0xFFFF_F804_7C61_E200, at: 0x28, in: &header)
    Self.put32(0x8664, at: 0x30, in: &header)
    Self.put32(processors, at: 0x34, in: &header)
    Self.put32(bugCheckCode, at: 0x38, in: &header)
    for (index, parameter) in bugCheckParameters.prefix(4).enumerated() {
      Self.put64(parameter, at: 0x40 + index * 8, in: &header)
    }
    if let kdDebuggerDataBlock { Self.put64(kdDebuggerDataBlock, at: 0x80, in: &header) }
    // x64 CONTEXT at 0x348: zero it, then the registers; MxCsr twice (kdmp-parser checks both).
    header.replaceSubrange(0x348..<(0x348 + 0x4D0), with: [UInt8](repeating: 0, count: 0x4D0))
    Self.put32(0x10_001F, at: 0x348 + 0x30, in: &header)
    Self.put32(0x1F80, at: 0x348 + 0x34, in: &header)
    Self.put32(0x1F80, at: 0x348 + 0x118, in: &header)
    Self.put32(0x10, at: 0x348 + 0x38, in: &header)
    Self.put32(0x40246, at: 0x348 + 0x44, in: &header)
    // CONTEXT.Rax is at 0x78 and the integer registers follow in encoding order.
    for (register, value) in registers where register >= 0 && register < 16 {
      Self.put64(value, at: 0x348 + 0x78 + register * 8, in: &header)
    }
    Self.put64(rsp, at: 0x348 + 0x98, in: &header)
    Self.put64(rip, at: 0x348 + 0xF8, in: &header)
    // EXCEPTION_RECORD64: the breakpoint of KeBugCheckEx.
    header.replaceSubrange(0xF00..<0xF98, with: [UInt8](repeating: 0, count: 0x98))
    Self.put32(0x8000_0003, at: 0xF00, in: &header)
    Self.put32(1, at: 0xF04, in: &header)
    Self.put64(rip, at: 0xF10, in: &header)
    Self.put32(layout.dumpType, at: 0xF98, in: &header)
    Self.put64(systemTime, at: 0xFA8, in: &header)
    Self.put64(systemUpTime, at: 0x1030, in: &header)
    Self.put32(1, at: 0x1040, in: &header)
    Self.put32(0x110, at: 0x1044, in: &header)
    Self.put32(0, at: 0x1048, in: &header)

    let pfns = kernel.pages.keys.sorted()
    var runs: [(UInt64, UInt64)] = []
    for pfn in pfns {
      if let last = runs.last, last.0 + last.1 == pfn {
        runs[runs.count - 1].1 += 1
      } else {
        runs.append((pfn, 1))
      }
    }
    let data = pfns.flatMap { kernel.pages[$0] ?? [] }
    Self.put64(UInt64(data.count / 4096 + 0x2), at: 0xFA0, in: &header)

    switch layout {
    case .full:
      precondition(runs.count <= 42, "a full dump holds at most 42 runs")
      Self.put32(UInt32(runs.count), at: 0x88, in: &header)
      Self.put32(0, at: 0x8C, in: &header)
      Self.put64(UInt64(pfns.count), at: 0x90, in: &header)
      for (index, run) in runs.enumerated() {
        Self.put64(run.0, at: 0x98 + index * 16, in: &header)
        Self.put64(run.1, at: 0xA0 + index * 16, in: &header)
      }
      return header + data
    case .bitmap(_, let signature):
      let highest = (pfns.last ?? 0) + 1
      let bits = roundBitmapBits ? (highest + 7) / 8 * 8 : highest
      let bitmapBytes = Int((bits + 7) / 8)
      var body = [UInt8](repeating: 0, count: 0x38 + bitmapBytes)
      body.replaceSubrange(0..<4, with: Array(signature.utf8))
      body.replaceSubrange(4..<8, with: Array("DUMP".utf8))
      let firstPage = UInt64(0x2000 + body.count)
      Self.put64(firstPage, at: 0x20, in: &body)
      Self.put64(UInt64(pfns.count), at: 0x28, in: &body)
      Self.put64(bits, at: 0x30, in: &body)
      for pfn in pfns { body[0x38 + Int(pfn / 8)] |= 1 << UInt8(pfn % 8) }
      return header + body + data
    case .rdmp(let type):
      let metadataSize: UInt64 = 0xFE0
      var body = [UInt8](repeating: 0, count: 0x1000)
      Self.put32(0x40, at: 0, in: &body)
      body.replaceSubrange(4..<8, with: Array("RDMP".utf8))
      body.replaceSubrange(8..<12, with: Array("DUMP".utf8))
      Self.put64(metadataSize, at: 0x10, in: &body)
      Self.put64(0x3000, at: 0x18, in: &body)
      if type == 10 {
        Self.put32(UInt32(runs.count), at: 0x20, in: &body)
        Self.put64(UInt64(pfns.count), at: 0x28, in: &body)
      }
      precondition(runs.count < Int((metadataSize - 0x20) / 16), "too many ranges for the metadata")
      for (index, run) in runs.enumerated() {
        Self.put64(run.0, at: 0x30 + index * 16, in: &body)
        Self.put64(run.1, at: 0x38 + index * 16, in: &body)
      }
      return header + body + data
    }
  }

  /// Writes the dump to `path`.
  public func write(_ kernel: SyntheticKernel, to path: String) throws {
    try Data(bytes(kernel)).write(to: URL(fileURLWithPath: path))
  }
}
