import ByteReader
import Symbols

/// The `STACK WIN` and `STACK CFI` records of one module's `.sym`, parsed once and searchable by
/// RVA. Malformed records are skipped and counted: the walker then falls back to other methods.
public struct StackInfo: Sendable {
  public private(set) var frameData: [StackWinRecord] = []
  public private(set) var fpo: [StackWinRecord] = []
  public private(set) var cfi: [StackCFIRecord] = []
  public private(set) var malformed = 0
  private var frameDataStarts: [UInt32] = []
  private var fpoStarts: [UInt32] = []
  private var cfiStarts: [UInt32] = []

  public var isEmpty: Bool { frameData.isEmpty && fpo.isEmpty && cfi.isEmpty }

  public init(records: [String]) {
    for record in records {
      let line = Substring(record)
      if line.hasPrefix("STACK WIN ") {
        guard let win = StackWinRecord(line.dropFirst(10)) else {
          malformed += 1
          continue
        }
        if win.type == 4 { frameData.append(win) } else { fpo.append(win) }
      } else if line.hasPrefix("STACK CFI INIT ") {
        let fields = line.dropFirst(15).split(separator: " ", maxSplits: 2)
        guard fields.count == 3, let rva = UInt32(fields[0], radix: 16),
          let size = UInt32(fields[1], radix: 16)
        else {
          malformed += 1
          continue
        }
        cfi.append(StackCFIRecord(rva: rva, size: size, rows: [(rva, fields[2])]))
      } else if line.hasPrefix("STACK CFI ") {
        let fields = line.dropFirst(10).split(separator: " ", maxSplits: 1)
        guard fields.count == 2, let rva = UInt32(fields[0], radix: 16),
          let last = cfi.indices.last,
          rva >= cfi[last].rva, rva - cfi[last].rva < cfi[last].size
        else {
          malformed += 1
          continue
        }
        cfi[last].rows.append((rva, fields[1]))
      }
    }
    frameData.sort { $0.rva < $1.rva }
    fpo.sort { $0.rva < $1.rva }
    cfi.sort { $0.rva < $1.rva }
    frameDataStarts = frameData.map(\.rva)
    fpoStarts = fpo.map(\.rva)
    cfiStarts = cfi.map(\.rva)
  }

  /// The frame data covering `rva`: FrameData first, then FPO, as breakpad prefers.
  public func stackWin(at rva: UInt32) -> StackWinRecord? {
    Self.covering(frameData, frameDataStarts, rva) ?? Self.covering(fpo, fpoStarts, rva)
  }

  /// The CFI rules in force at `rva`.
  public func cfiRules(at rva: UInt32) -> [Substring: Substring]? {
    guard let index = Self.lastStart(cfiStarts, atOrBefore: rva) else { return nil }
    let record = cfi[index]
    guard rva - record.rva < record.size else { return nil }
    return record.rules(at: rva)
  }

  /// The last record starting at or before `rva` that covers it; records may nest (prologue
  /// records inside a function's), so a few earlier starts are tried too.
  static func covering(_ records: [StackWinRecord], _ starts: [UInt32], _ rva: UInt32)
    -> StackWinRecord?
  {
    guard var index = lastStart(starts, atOrBefore: rva) else { return nil }
    var tried = 0
    while tried < 8 {
      if records[index].contains(rva) { return records[index] }
      guard index > 0 else { break }
      index -= 1
      tried += 1
    }
    return nil
  }

  static func lastStart(_ starts: [UInt32], atOrBefore rva: UInt32) -> Int? {
    SortedSearch.lastIndex(in: starts, atMost: UInt64(rva), key: { UInt64($0) })
  }
}
