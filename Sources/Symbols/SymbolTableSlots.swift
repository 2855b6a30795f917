import ByteReader
import Foundation

/// The tables a `SymbolTableCache` holds, bounded: past `limit` estimated bytes the least
/// recently used are dropped (a later lookup reads them back from the derived-table archive,
/// which costs milliseconds, not a derivation). One build per key at a time: a thread asking for
/// a table another thread is building waits for it rather than building a second copy, which for
/// a PDB of hundreds of MB would double the memory; threads asking for other keys never wait.
final class SymbolTableSlots: @unchecked Sendable {
  private struct Entry {
    var table: Result<SymbolTable, ParseError>
    var bytes: Int
    var used: UInt64
  }

  /// Every field below is guarded by `condition`, which is why the class can be shared.
  private let condition = NSCondition()
  private var entries: [String: Entry] = [:]
  private var building: Set<String> = []
  private var total = 0
  private var clock: UInt64 = 0
  /// The most estimated bytes of tables kept; the table just built is kept even when it alone is
  /// larger.
  let limit: Int

  init(limit: Int) { self.limit = max(0, limit) }

  /// The table stored under `key`, else `build()`'s, stored.
  func table(_ key: String, build: () -> Result<SymbolTable, ParseError>)
    -> Result<SymbolTable, ParseError>
  {
    condition.lock()
    while building.contains(key) { condition.wait() }
    clock &+= 1
    if var entry = entries[key] {
      entry.used = clock
      entries[key] = entry
      condition.unlock()
      return entry.table
    }
    building.insert(key)
    condition.unlock()

    let table = build()
    // A miss is kept too (a module without symbols costs one probe per run): a few bytes.
    let bytes = (try? table.get())?.estimatedBytes ?? 64
    condition.lock()
    defer {
      condition.broadcast()
      condition.unlock()
    }
    building.remove(key)
    clock &+= 1
    entries[key] = Entry(table: table, bytes: bytes, used: clock)
    total += bytes
    if total > limit { evict(keeping: key) }
    return table
  }

  /// Keys held now (tests).
  var keys: Set<String> {
    condition.lock()
    defer { condition.unlock() }
    return Set(entries.keys)
  }

  /// Drops the least recently used entries other than `key` until the total fits.
  private func evict(keeping key: String) {
    let oldest = entries.filter { $0.key != key }.sorted { $0.value.used < $1.value.used }
    for (victim, entry) in oldest {
      guard total > limit else { break }
      entries[victim] = nil
      total -= entry.bytes
    }
  }
}
