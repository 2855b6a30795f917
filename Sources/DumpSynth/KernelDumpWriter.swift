import Foundation

/// Writes kernel dumps from a `SyntheticKernel`: 64-bit (`PAGEDU64`, x64 or ARM64) of types 1, 5,
/// 6, 8, 9 and 10 (layouts: reference/kernel-dumps.md §1.1–1.6 and §4.3, which kdmp-parser
/// accepts), and 32-bit x86 (`PAGEDUMP`, §1.9 and ntiodump.h's DUMP_HEADER32) of types 1, 5 and 6.
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
  /// The header's PsActiveProcessHead; nil writes a fixed address that names no list (x64
  /// 0xFFFFF8047C61E200, x86 0x82794D50).
  public var psActiveProcessHead: UInt64?
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

  /// 0x8664 (x64), 0xAA64 (ARM64) or 0x14C (x86: a 32-bit dump). Match the kernel's paging.
  public var machine: UInt32 = 0x8664

  public init(layout: Layout) { self.layout = layout }

  static func put32(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
    for index in 0..<4 { bytes[offset + index] = UInt8((value >> (8 * UInt32(index))) & 0xFF) }
  }

  static func put64(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
    for index in 0..<8 { bytes[offset + index] = UInt8((value >> (8 * UInt64(index))) & 0xFF) }
  }

  /// The dump bytes for `kernel`.
  public func bytes(_ kernel: SyntheticKernel) -> [UInt8] {
    if machine == 0x14C { return bytes32(kernel) }
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
    Self.put64(psActiveProcessHead ?? 0xFFFF_F804_7C61_E200, at: 0x28, in: &header)
    Self.put32(machine, at: 0x30, in: &header)
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
    if machine == 0xAA64 {
      // ARM64 CONTEXT (912 bytes): flags CONTEXT_ARM64 | CONTROL | INTEGER, X0–X28 from 8, Fp,
      // Lr, Sp at 0x100, Pc at 0x108.
      header.replaceSubrange(0x348..<(0x348 + 912), with: [UInt8](repeating: 0, count: 912))
      Self.put32(0x40_0003, at: 0x348, in: &header)
      for (register, value) in registers where register >= 0 && register < 31 {
        Self.put64(value, at: 0x348 + 8 + register * 8, in: &header)
      }
      Self.put64(rsp, at: 0x348 + 0x100, in: &header)
      Self.put64(rip, at: 0x348 + 0x108, in: &header)
    }
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

    let (runs, pfns) = Self.runs(kernel)
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
      return header + bitmapBody(pfns, signature: signature, base: 0x2000) + data
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

  /// Runs of consecutive PFNs, and the pages' bytes in PFN order.
  static func runs(_ kernel: SyntheticKernel) -> (runs: [(UInt64, UInt64)], pfns: [UInt64]) {
    let pfns = kernel.pages.keys.sorted()
    var runs: [(UInt64, UInt64)] = []
    for pfn in pfns {
      if let last = runs.last, last.0 + last.1 == pfn {
        runs[runs.count - 1].1 += 1
      } else {
        runs.append((pfn, 1))
      }
    }
    return (runs, pfns)
  }

  /// The 0x1000-byte DUMP_HEADER32 (ntiodump.h): 'PAGE' fill, then the fields; the x86 CONTEXT at
  /// 0x320 and EXCEPTION_RECORD32 at 0x7D0.
  func header32(_ kernel: SyntheticKernel, dumpType: UInt32) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 0x1000)
    for offset in stride(from: 0, to: 0x1000, by: 4) {
      Self.put32(0x4547_4150, at: offset, in: &header)
    }
    header.replaceSubrange(0..<8, with: Array("PAGEDUMP".utf8))
    Self.put32(0xF, at: 0x08, in: &header)
    Self.put32(build, at: 0x0C, in: &header)
    Self.put32(UInt32(truncatingIfNeeded: kernel.pml4PFN << 12), at: 0x10, in: &header)
    Self.put32(0x8400_0000, at: 0x14, in: &header)
    if let psLoadedModuleList {
      Self.put32(UInt32(truncatingIfNeeded: psLoadedModuleList), at: 0x18, in: &header)
    }
    Self.put32(
      psActiveProcessHead.map { UInt32(truncatingIfNeeded: $0) } ?? 0x8279_4D50, at: 0x1C,
      in: &header)
    Self.put32(0x14C, at: 0x20, in: &header)
    Self.put32(processors, at: 0x24, in: &header)
    Self.put32(bugCheckCode, at: 0x28, in: &header)
    for (index, parameter) in bugCheckParameters.prefix(4).enumerated() {
      Self.put32(UInt32(truncatingIfNeeded: parameter), at: 0x2C + index * 4, in: &header)
    }
    header[0x5C] = kernel.paging == .x86PAE ? 1 : 0
    header[0x5D] = 0x41
    header[0x5E] = 0
    header[0x5F] = 0
    if let kdDebuggerDataBlock {
      Self.put32(UInt32(truncatingIfNeeded: kdDebuggerDataBlock), at: 0x60, in: &header)
    }
    // x86 CONTEXT (716 bytes): CONTEXT_i386 | CONTROL | INTEGER | SEGMENTS; Ebp 0xB4, Eip 0xB8,
    // Esp 0xC4; the other integer registers by encoding (0 EAX … 7 EDI) at their offsets.
    header.replaceSubrange(0x320..<(0x320 + 716), with: [UInt8](repeating: 0, count: 716))
    Self.put32(0x1_0007, at: 0x320, in: &header)
    let x86Offsets = [0xB0, 0xAC, 0xA8, 0xA4, 0xC4, 0xB4, 0xA0, 0x9C]
    for (register, value) in registers where register >= 0 && register < 8 {
      Self.put32(UInt32(truncatingIfNeeded: value), at: 0x320 + x86Offsets[register], in: &header)
    }
    Self.put32(0x8, at: 0x320 + 0xBC, in: &header)
    Self.put32(0x246, at: 0x320 + 0xC0, in: &header)
    Self.put32(UInt32(truncatingIfNeeded: rsp), at: 0x320 + 0xC4, in: &header)
    Self.put32(UInt32(truncatingIfNeeded: rip), at: 0x320 + 0xB8, in: &header)
    header.replaceSubrange(0x7D0..<0x820, with: [UInt8](repeating: 0, count: 0x50))
    Self.put32(0x8000_0003, at: 0x7D0, in: &header)
    Self.put32(1, at: 0x7D4, in: &header)
    Self.put32(UInt32(truncatingIfNeeded: rip), at: 0x7DC, in: &header)
    Self.put32(dumpType, at: 0xF88, in: &header)
    Self.put32(1, at: 0xF94, in: &header)
    Self.put32(0x110, at: 0xF98, in: &header)
    Self.put64(systemUpTime, at: 0xFB8, in: &header)
    Self.put64(systemTime, at: 0xFC0, in: &header)
    return header
  }

  /// A 32-bit x86 dump: DUMP_HEADER32, then the pages (full: PHYSICAL_MEMORY_DESCRIPTOR32 at 0x64,
  /// pages from 0x1000; bitmap: BITMAP_DUMP at 0x1000).
  func bytes32(_ kernel: SyntheticKernel) -> [UInt8] {
    var header = header32(kernel, dumpType: layout.dumpType)
    let (runs, pfns) = Self.runs(kernel)
    let data = pfns.flatMap { kernel.pages[$0] ?? [] }
    Self.put64(UInt64(data.count / 4096 + 1), at: 0xFA0, in: &header)
    switch layout {
    case .full:
      precondition(runs.count <= 86, "a 32-bit full dump holds at most 86 runs")
      Self.put32(UInt32(runs.count), at: 0x64, in: &header)
      Self.put32(UInt32(pfns.count), at: 0x68, in: &header)
      for (index, run) in runs.enumerated() {
        Self.put32(UInt32(run.0), at: 0x6C + index * 8, in: &header)
        Self.put32(UInt32(run.1), at: 0x70 + index * 8, in: &header)
      }
      return header + data
    case .bitmap(_, let signature):
      return header + bitmapBody(pfns, signature: signature, base: 0x1000) + data
    case .rdmp:
      preconditionFailure(
        "crashsift does not read 32-bit RDMP dumps; the writer does not write them")
    }
  }

  /// BITMAP_DUMP at file offset `base`: signature, 'DUMP', first page offset 0x20, present pages
  /// 0x28, bits 0x30, the bitmap from 0x38.
  func bitmapBody(_ pfns: [UInt64], signature: String, base: Int) -> [UInt8] {
    let highest = (pfns.last ?? 0) + 1
    let bits = roundBitmapBits ? (highest + 7) / 8 * 8 : highest
    let bitmapBytes = Int((bits + 7) / 8)
    var body = [UInt8](repeating: 0, count: 0x38 + bitmapBytes)
    body.replaceSubrange(0..<4, with: Array(signature.utf8))
    body.replaceSubrange(4..<8, with: Array("DUMP".utf8))
    Self.put64(UInt64(base + body.count), at: 0x20, in: &body)
    Self.put64(UInt64(pfns.count), at: 0x28, in: &body)
    Self.put64(bits, at: 0x30, in: &body)
    for pfn in pfns { body[0x38 + Int(pfn / 8)] |= 1 << UInt8(pfn % 8) }
    return body
  }

  /// Writes the dump to `path`.
  public func write(_ kernel: SyntheticKernel, to path: String) throws {
    try Data(bytes(kernel)).write(to: URL(fileURLWithPath: path))
  }
}
