import ByteReader

/// How many handles a process's handle table (EPROCESS.ObjectTable → HANDLE_TABLE) holds: the
/// `HandleCount` of WinDbg's `!process`.
///
/// Windows 7 keeps the count in `HANDLE_TABLE.HandleCount`; Windows 8 removed that field (the
/// kernel spreads it over per-processor free lists since), so there the table is walked:
/// `TableCode`'s low two bits give the levels (0: one page of entries; 1: a page of pointers to
/// entry pages; 2: pointers to such pages), entry pages hold 16-byte (8 on x86) entries, and the
/// pages cover handle values below `NextHandleNeedingPool`. An entry is a handle when its object
/// bits are not zero; the first entry of every entry page is reserved for the page's audit
/// information and is never a handle (docs/kernel-offsets/handles.md has the sources).
public struct KernelHandleCount: Sendable, Equatable {
  /// The count, nil when it could not be read.
  public var value: UInt32?
  /// Why `value` is nil.
  public var problem: String?

  /// Entry pages one process's table may have before the walk gives up: 4,096 pages are about
  /// a million handles on 64-bit kernels, 60 times what a busy real process holds, and a
  /// 16 MiB read at most.
  public static let maxPages = 4096

  /// Entry and table pages one dump's walks may read in all (256 MiB): 65,536 processes could
  /// otherwise each walk 4,096 pages of one forged table.
  public static let maxPagesPerDump = 65_536

  /// What the walks of one dump share: the pages they may still read, and each table's count
  /// (processes that point at the same table are counted once).
  final class Budget {
    var pagesLeft = KernelHandleCount.maxPagesPerDump
    var counted: [UInt64: KernelHandleCount] = [:]
  }

  /// The handle count of the table at `table` (an EPROCESS.ObjectTable value); 0 when `table` is
  /// NULL, as for a process that has exited.
  static func read(
    table: UInt64, paged: PagedMemory, layout: KernelTypeLayout, width: Int,
    budget: Budget = Budget()
  ) -> KernelHandleCount {
    if let known = budget.counted[table] { return known }
    let count = uncached(table: table, paged: paged, layout: layout, width: width, budget: budget)
    budget.counted[table] = count
    return count
  }

  private static func uncached(
    table: UInt64, paged: PagedMemory, layout: KernelTypeLayout, width: Int, budget: Budget
  ) -> KernelHandleCount {
    guard table != 0 else { return KernelHandleCount(value: 0) }
    if let offset = layout[.handleTableHandleCount] {
      do {
        return KernelHandleCount(value: try paged.u32(table &+ UInt64(offset)))
      } catch {
        return KernelHandleCount(problem: "HANDLE_TABLE.HandleCount: \(error)")
      }
    }
    guard let codeOffset = layout[.handleTableCode],
      let limitOffset = layout[.handleTableNextHandleNeedingPool]
    else {
      return KernelHandleCount(
        problem:
          "HANDLE_TABLE offsets unknown for this build (no nt PDB, not in the table of public builds)"
      )
    }
    let tableCode: UInt64
    let limit: UInt32
    do {
      tableCode = try paged.pointer(table &+ UInt64(codeOffset))
      limit = try paged.u32(table &+ UInt64(limitOffset))
    } catch {
      return KernelHandleCount(problem: "handle table at 0x\(hex(table)): \(error)")
    }
    var walk = Walk(paged: paged, width: width, budget: budget)
    do throws(ParseError) {
      return KernelHandleCount(value: try walk.count(tableCode: tableCode, limit: limit))
    } catch {
      return KernelHandleCount(problem: "handle table at 0x\(hex(table)): \(error.reason)")
    }
  }

  static func hex(_ value: UInt64) -> String { String(value, radix: 16) }

  /// One table's walk: its entry pages in handle order, each physical page met once.
  struct Walk {
    let paged: PagedMemory
    let width: Int
    let budget: Budget
    /// Physical page numbers read (a virtual key would let two aliases of one page, differing
    /// only in bits the translation ignores, count its handles twice).
    var seen: Set<UInt64> = []

    /// Entries per entry page, pointers per table page, handle values one entry page covers.
    var entriesPerPage: Int { 0x1000 / (2 * width) }
    var pointersPerPage: Int { 0x1000 / width }

    init(paged: PagedMemory, width: Int, budget: Budget) {
      self.paged = paged
      self.width = width
      self.budget = budget
    }

    mutating func count(tableCode: UInt64, limit: UInt32) throws(ParseError) -> UInt32 {
      let level = tableCode & 3
      let top = tableCode & ~UInt64(3)
      // Handle values are 4 apart; an entry page covers entriesPerPage of them.
      let handlesPerPage = UInt64(entriesPerPage) * 4
      let pages = (UInt64(limit) + handlesPerPage - 1) / handlesPerPage
      guard pages <= UInt64(KernelHandleCount.maxPages) else {
        throw ParseError(
          "handle table",
          "NextHandleNeedingPool 0x\(hex(UInt64(limit))) means \(pages) entry pages, more than the \(KernelHandleCount.maxPages) read; not counted"
        )
      }
      guard top != 0, pages > 0 else { return 0 }
      // A table whose level cannot hold its limit, or whose pointers end before it, is damaged:
      // counting what is there would give a low count that looks right.
      let capacity =
        level == 0 ? 1 : level == 1 ? pointersPerPage : pointersPerPage * pointersPerPage
      guard level <= 2, pages <= UInt64(capacity) else {
        throw ParseError(
          "handle table",
          level > 2
            ? "TableCode 0x\(hex(tableCode)) names level 3"
            : "NextHandleNeedingPool 0x\(hex(UInt64(limit))) needs \(pages) entry pages, more than a level-\(level) table holds"
        )
      }
      var total: UInt32 = 0
      switch level {
      case 0:
        total = try countEntries(top)
      case 1:
        for leaf in try pointers(top, Int(pages)) { total += try countEntries(leaf) }
      default:
        var left = Int(pages)
        for middle in try pointers(top, (left + pointersPerPage - 1) / pointersPerPage) {
          let leaves = try pointers(middle, min(left, pointersPerPage))
          for leaf in leaves { total += try countEntries(leaf) }
          left -= leaves.count
        }
      }
      return total
    }

    /// The first `count` pointers of the table page at `page`; a NULL among them means the table
    /// has fewer pages than its limit says, which is an error.
    mutating func pointers(_ page: UInt64, _ count: Int) throws(ParseError) -> [UInt64] {
      let bytes = try self.page(page)
      var out: [UInt64] = []
      for index in 0..<min(count, pointersPerPage) {
        let value =
          width == 8
          ? bytes.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self).littleEndian
          : UInt64(bytes.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self).littleEndian)
        guard value != 0 else {
          throw ParseError(
            "handle table",
            "page 0x\(hex(page)) has a NULL pointer at \(index), below NextHandleNeedingPool")
        }
        out.append(value)
      }
      return out
    }

    /// The handles in the entry page at `page`: entries whose object bits are set, past the
    /// reserved first entry. 64-bit entries keep flags in bits 0–19 (Unlocked, RefCnt,
    /// Attributes) and the object in bits 20–63 (ObjectPointerBits); x86 entries keep flags in
    /// bits 0–2.
    mutating func countEntries(_ page: UInt64) throws(ParseError) -> UInt32 {
      let bytes = try self.page(page)
      var count: UInt32 = 0
      let stride = 2 * width
      for index in 1..<entriesPerPage {
        let inUse =
          width == 8
          ? bytes.loadUnaligned(fromByteOffset: index * stride, as: UInt64.self).littleEndian >> 20
            != 0
          : bytes.loadUnaligned(fromByteOffset: index * stride, as: UInt32.self).littleEndian >> 3
            != 0
        if inUse { count += 1 }
      }
      return count
    }

    /// The whole 4 KiB page at `address`, which must be page-aligned, met once in the walk, and
    /// within the dump's budget.
    mutating func page(_ address: UInt64) throws(ParseError) -> UnsafeRawBufferPointer {
      guard address & 0xFFF == 0 else {
        throw ParseError("handle table", "page pointer 0x\(hex(address)) is not page-aligned")
      }
      guard let physical = paged.translate(address), let bytes = paged.page(physical >> 12) else {
        throw ParseError(
          "handle table", "page 0x\(hex(address)) is not present (page missing or not mapped)")
      }
      guard seen.insert(physical >> 12).inserted else {
        throw ParseError("handle table", "page 0x\(hex(address)) is listed twice")
      }
      guard seen.count <= 2 * KernelHandleCount.maxPages else {
        throw ParseError("handle table", "more than \(2 * KernelHandleCount.maxPages) pages")
      }
      guard budget.pagesLeft > 0 else {
        throw ParseError(
          "handle table",
          "the dump's handle tables need more than \(KernelHandleCount.maxPagesPerDump) pages; not counted"
        )
      }
      budget.pagesLeft -= 1
      return bytes
    }
  }
}
