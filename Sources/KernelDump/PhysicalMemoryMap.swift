import ByteReader
import Synchronization

/// Where each physical page of a full, bitmap or RDMP dump is in the file
/// (reference/kernel-dumps.md §1.4–1.6).
///
/// Run lists are kept sorted for binary search. A bitmap is not scanned at open: the first lookup
/// builds a rank index (one count per 4,096 bits), after which a page's file offset is the first
/// page's offset plus 4 KiB times the number of set bits before it.
public final class PhysicalMemoryMap: Sendable {
  /// A run of consecutive physical pages stored back to back in the file.
  public struct Run: Sendable, Equatable {
    public var firstPFN: UInt64
    public var pageCount: UInt64
    public var fileOffset: UInt64
  }

  /// How pages are located.
  public enum Layout: Sendable, Equatable {
    case runs([Run])
    /// `bitmapOffset`: file offset of the bitmap; `bits`: its length in bits; `firstPage`: file
    /// offset of the first stored page.
    case bitmap(bitmapOffset: Int, bits: UInt64, firstPage: UInt64, presentPages: UInt64)
  }

  public let layout: Layout
  private let file: MappedFile
  private let rankIndex = Mutex<[UInt64]?>(nil)
  static let blockBits = 4096

  init(layout: Layout, file: MappedFile) {
    self.layout = layout
    self.file = file
  }

  /// The file offset of page `pfn`, or `nil` when the dump does not hold it.
  public func fileOffset(ofPFN pfn: UInt64) -> UInt64? {
    switch layout {
    case .runs(let runs):
      guard let index = SortedSearch.lastIndex(in: runs, atMost: pfn, key: \.firstPFN) else {
        return nil
      }
      let run = runs[index]
      guard pfn - run.firstPFN < run.pageCount else { return nil }
      return run.fileOffset + (pfn - run.firstPFN) * 0x1000
    case .bitmap(let bitmapOffset, let bits, let firstPage, _):
      guard pfn < bits else { return nil }
      let bytes = file.bytes
      let byteIndex = bitmapOffset + Int(pfn / 8)
      guard byteIndex < bytes.count, bytes[byteIndex] & (1 << UInt8(pfn % 8)) != 0 else {
        return nil
      }
      let rank = self.rank(before: pfn, bitmapOffset: bitmapOffset, bits: bits)
      return firstPage + rank * 0x1000
    }
  }

  /// Set bits before `pfn`.
  private func rank(before pfn: UInt64, bitmapOffset: Int, bits: UInt64) -> UInt64 {
    let index = rankIndex.withLock { cached -> [UInt64] in
      if let cached { return cached }
      let built = Self.buildIndex(file.bytes, bitmapOffset: bitmapOffset, bits: bits)
      cached = built
      return built
    }
    let block = Int(pfn) / Self.blockBits
    var count = index[block]
    let bytes = file.bytes
    var bit = UInt64(block * Self.blockBits)
    // Whole bytes, then the bits of the last byte.
    while bit + 8 <= pfn {
      count += UInt64(bytes[bitmapOffset + Int(bit / 8)].nonzeroBitCount)
      bit += 8
    }
    if bit < pfn {
      let mask = UInt8((1 << (pfn - bit)) - 1)
      count += UInt64((bytes[bitmapOffset + Int(bit / 8)] & mask).nonzeroBitCount)
    }
    return count
  }

  static func buildIndex(_ bytes: UnsafeRawBufferPointer, bitmapOffset: Int, bits: UInt64)
    -> [UInt64]
  {
    let blocks = Int((bits + UInt64(blockBits) - 1) / UInt64(blockBits))
    var index = [UInt64](repeating: 0, count: max(blocks, 1))
    var total: UInt64 = 0
    let byteCount = Int((bits + 7) / 8)
    for block in 0..<blocks {
      index[block] = total
      let start = block * blockBits / 8
      let end = min(start + blockBits / 8, byteCount)
      var offset = start
      // Eight bytes at a time.
      while offset + 8 <= end {
        total += UInt64(
          bytes.loadUnaligned(fromByteOffset: bitmapOffset + offset, as: UInt64.self)
            .nonzeroBitCount)
        offset += 8
      }
      while offset < end {
        var byte = bytes[bitmapOffset + offset]
        if offset == byteCount - 1 && bits % 8 != 0 {
          // Bits past `Pages` in the last byte are not pages (kdmp-parser-rs masks them too).
          byte &= UInt8((1 << (bits % 8)) - 1)
        }
        total += UInt64(byte.nonzeroBitCount)
        offset += 1
      }
    }
    return index
  }

  /// Every present page number, ascending (for tests and the oracle comparison).
  public func allPFNs(limit: Int = 1 << 24) -> [UInt64] {
    var result: [UInt64] = []
    switch layout {
    case .runs(let runs):
      for run in runs {
        for k in 0..<run.pageCount where result.count < limit { result.append(run.firstPFN + k) }
      }
    case .bitmap(let bitmapOffset, let bits, _, _):
      let bytes = file.bytes
      var pfn: UInt64 = 0
      while pfn < bits && result.count < limit {
        if bytes[bitmapOffset + Int(pfn / 8)] & (1 << UInt8(pfn % 8)) != 0 { result.append(pfn) }
        pfn += 1
      }
    }
    return result
  }

  /// The number of pages the dump holds.
  public var pageCount: UInt64 {
    switch layout {
    case .runs(let runs): return runs.reduce(0) { $0 + $1.pageCount }
    case .bitmap(_, _, _, let present): return present
    }
  }
}
