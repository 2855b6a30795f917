import ByteReader

/// Builds the physical-memory map of a dump from its header (reference/kernel-dumps.md §1.4–1.6),
/// validating every count and offset against the file before trusting it.
enum PhysicalMemoryReader {
  static func map(_ file: MappedFile, header: KernelDumpHeader) throws(ParseError)
    -> PhysicalMemoryMap
  {
    let r = file.reader
    switch header.dumpType {
    case .full:
      return header.is64Bit ? try full(r, file) : try full32(r, file)
    case .bitmapFull, .bitmapKernel:
      // BITMAP_DUMP follows the header: at 0x2000 (64-bit) or 0x1000 (32-bit), same layout.
      return try bitmap(r, file, at: header.is64Bit ? 0x2000 : 0x1000)
    case .kernelMemory, .kernelAndUserMemory, .completeMemory:
      guard header.is64Bit else {
        throw ParseError(
          "physical memory",
          "unsupported: 32-bit \(header.dumpType.name) (RDMP) dumps are not read; only the header, context and bug check are available"
        )
      }
      return try rdmp(r, file, type: header.dumpType)
    default:
      throw ParseError(
        "physical memory", "\(header.dumpType.name) dumps hold no physical memory map")
    }
  }

  /// Type 1: PHYSICAL_MEMORY_DESCRIPTOR64 in the header (u32 NumberOfRuns at 0x88, then u64
  /// BasePage/PageCount pairs from 0x98), pages from 0x2000 in run order.
  static func full(_ r: ByteReader, _ file: MappedFile) throws(ParseError) -> PhysicalMemoryMap {
    try runList(
      r, file, what: "PHYSICAL_MEMORY_DESCRIPTOR64", countAt: 0x88, runsAt: 0x98, width: 8,
      maxRuns: 42, firstPage: 0x2000)
  }

  /// 32-bit type 1: PHYSICAL_MEMORY_DESCRIPTOR32 at 0x64 (u32 NumberOfRuns, u32 NumberOfPages,
  /// then u32 BasePage/PageCount pairs in the 700-byte block), pages from 0x1000 in run order
  /// (ntiodump.h DUMP_HEADER32; reference/kernel-dumps.md §1.9).
  static func full32(_ r: ByteReader, _ file: MappedFile) throws(ParseError) -> PhysicalMemoryMap {
    try runList(
      r, file, what: "PHYSICAL_MEMORY_DESCRIPTOR32", countAt: 0x64, runsAt: 0x6C, width: 4,
      maxRuns: 86, firstPage: 0x1000)
  }

  /// A run list of `width`-byte BasePage/PageCount pairs: at most `maxRuns` (what the 700-byte
  /// descriptor holds), each run's pages stored back to back from `firstPage`.
  static func runList(
    _ r: ByteReader, _ file: MappedFile, what w: String, countAt: Int, runsAt: Int, width: Int,
    maxRuns: Int, firstPage: UInt64
  ) throws(ParseError) -> PhysicalMemoryMap {
    let count = Int(try r.u32(at: countAt, w))
    guard count <= maxRuns else {
      throw ParseError(
        w, offset: countAt,
        "\(count) runs do not fit the 700-byte descriptor (at most \(maxRuns))")
    }
    func field(_ offset: Int) throws(ParseError) -> UInt64 {
      width == 8 ? try r.u64(at: offset, w) : UInt64(try r.u32(at: offset, w))
    }
    var runs: [PhysicalMemoryMap.Run] = []
    var offset = firstPage
    for index in 0..<count {
      let at = runsAt + index * 2 * width
      let base = try field(at)
      let pages = try field(at + width)
      runs.append(PhysicalMemoryMap.Run(firstPFN: base, pageCount: pages, fileOffset: offset))
      // pages < 2^40 keeps pages * 0x1000 below 2^52, and offset stays within the file.
      guard pages < (1 << 40), offset + pages * 0x1000 <= UInt64(r.count) else {
        throw ParseError(
          w, offset: at + width, "run \(index) (\(pages) pages) runs past the end of the file")
      }
      offset += pages * 0x1000
    }
    return try validated(runs, end: offset, r, file, what: w)
  }

  /// Types 5 and 6: 'SDMP'/'FDMP' header and bitmap at `base` (0x2000, or 0x1000 for 32-bit
  /// dumps).
  static func bitmap(_ r: ByteReader, _ file: MappedFile, at base: Int) throws(ParseError)
    -> PhysicalMemoryMap
  {
    let w = "bitmap dump header"
    let signature = try r.u32(at: base, w)
    guard signature == 0x504D_4453 || signature == 0x504D_4446,
      try r.u32(at: base + 4, w) == 0x504D_5544
    else {
      throw ParseError(w, offset: base, "signature is not SDMP/FDMP DUMP")
    }
    let firstPage = try r.u64(at: base + 0x20, w)
    let present = try r.u64(at: base + 0x28, w)
    let bits = try r.u64(at: base + 0x30, w)
    // Checked before rounding up: `bits + 7` must not overflow.
    let bitmapBytes = bits <= (1 << 40) ? (bits + 7) / 8 : 0
    guard bits <= (1 << 40), r.contains(offset: base + 0x38, count: Int(bitmapBytes)) else {
      throw ParseError(
        w, offset: base + 0x30,
        "a bitmap of \(bits) bits does not fit in the \(r.count)-byte file")
    }
    let (data, overflow) = present.multipliedReportingOverflow(by: 0x1000)
    guard !overflow, firstPage >= UInt64(base + 0x38) + bitmapBytes,
      firstPage <= UInt64(r.count),
      data <= UInt64(r.count) - firstPage
    else {
      throw ParseError(
        w, offset: base + 0x28,
        "\(present) present pages from file offset 0x\(String(firstPage, radix: 16)) do not fit in the \(r.count)-byte file"
      )
    }
    return PhysicalMemoryMap(
      layout: .bitmap(
        bitmapOffset: base + 0x38, bits: bits, firstPage: firstPage, presentPages: present),
      file: file)
  }

  /// Types 8, 9, 10: 'RDMP' header at 0x2000 with a PFN range array.
  static func rdmp(_ r: ByteReader, _ file: MappedFile, type: KernelDumpType) throws(ParseError)
    -> PhysicalMemoryMap
  {
    let w = "RDMP header"
    guard try r.u32(at: 0x2004, w) == 0x504D_4452, try r.u32(at: 0x2008, w) == 0x504D_5544 else {
      throw ParseError(w, offset: 0x2004, "signature is not RDMP DUMP")
    }
    let metadataSize = try r.u64(at: 0x2010, w)
    let firstPageOffset = try r.u64(at: 0x2018, w)
    guard metadataSize >= 0x20, metadataSize % 16 == 0,
      metadataSize - 0x20 == firstPageOffset &- 0x2040,
      firstPageOffset <= UInt64(r.count)
    else {
      throw ParseError(
        w, offset: 0x2010,
        "metadata size 0x\(String(metadataSize, radix: 16)) and first page 0x\(String(firstPageOffset, radix: 16)) disagree"
      )
    }
    let total: UInt64? = type == .completeMemory ? try r.u64(at: 0x2028, w) : nil
    let maxRanges = Int((metadataSize - 0x20) / 16)
    var runs: [PhysicalMemoryMap.Run] = []
    var offset = firstPageOffset
    var pages: UInt64 = 0
    for index in 0..<maxRanges {
      let pfn = try r.u64(at: 0x2030 + index * 16, w)
      let count = try r.u64(at: 0x2038 + index * 16, w)
      if pfn == 0 { break }
      if let total, pages >= total { break }
      guard count < (1 << 40) else {
        throw ParseError(
          w, offset: 0x2038 + index * 16, "range \(index) has an absurd page count \(count)")
      }
      runs.append(PhysicalMemoryMap.Run(firstPFN: pfn, pageCount: count, fileOffset: offset))
      offset += count * 0x1000
      pages += count
      // Checked every step so the sum can never overflow (count < 2^40, offset <= file size).
      guard offset <= UInt64(r.count) else {
        throw ParseError(
          w, offset: 0x2038 + index * 16, "the ranges need more pages than the file holds")
      }
    }
    return try validated(runs, end: offset, r, file, what: w)
  }

  /// Sorted runs that neither overlap nor end past the file.
  static func validated(
    _ runs: [PhysicalMemoryMap.Run], end: UInt64, _ r: ByteReader, _ file: MappedFile, what: String
  ) throws(ParseError) -> PhysicalMemoryMap {
    guard end <= UInt64(r.count) else {
      throw ParseError(what, "the runs need \(end) bytes but the file has \(r.count)")
    }
    let sorted = runs.filter { $0.pageCount > 0 }.sorted { $0.firstPFN < $1.firstPFN }
    for (a, b) in zip(sorted, sorted.dropFirst()) where a.firstPFN + a.pageCount > b.firstPFN {
      throw ParseError(
        what,
        "runs overlap: PFN 0x\(String(a.firstPFN, radix: 16))+\(a.pageCount) and 0x\(String(b.firstPFN, radix: 16))"
      )
    }
    return PhysicalMemoryMap(layout: .runs(sorted), file: file)
  }
}
