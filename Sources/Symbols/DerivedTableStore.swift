import ByteReader
import CPosix
import Foundation

/// Keeps symbol tables derived from PDBs and .sym files on disk, so each is derived once per
/// symbol file and every later run reads it back (`SymbolTableArchive`). The key is the source
/// file's name, size and modification time plus the archive version; a changed file or a new
/// crashsift derives again. Writes go to a temporary name and are renamed into place, so
/// concurrent workers and a kill leave either no archive or a whole one; a damaged archive is
/// derived again and replaced. Any failure to write only costs the next run a derivation. At most
/// `limit` archives are kept (least recently used go first), so copies of symbol files that come
/// and go do not fill the disk.
public struct DerivedTableStore: Sendable {
  /// `<cache>/tables`; `nil` disables the store.
  public let directory: String?

  public init(cache: String?) {
    directory = cache.map { "\($0)/tables" }
  }

  /// The archive path for `source`, or `nil` when its attributes cannot be read.
  public func archivePath(for source: String) -> String? {
    guard let directory,
      let attributes = try? FileManager.default.attributesOfItem(atPath: source),
      let size = attributes[.size] as? NSNumber,
      let modified = attributes[.modificationDate] as? Date
    else { return nil }
    let name = URL(fileURLWithPath: source).lastPathComponent.filter {
      $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-"
    }
    let stamp = UInt64(max(0, modified.timeIntervalSince1970 * 1_000_000))
    // The folder of the source distinguishes equal names in different stores.
    var hasher = FNV1a()
    hasher.add(URL(fileURLWithPath: source).deletingLastPathComponent().path)
    return
      "\(directory)/\(name)-\(String(size.uint64Value, radix: 16))-\(String(stamp, radix: 16))-\(String(hasher.value, radix: 16))-v\(SymbolTableArchive.version).cstab"
  }

  /// The table of `source`: opened from its archive, else derived, archived and opened from the
  /// new archive. A table opened from an archive answers lookups from the mapped file
  /// (`MappedSymbolTable`), so what a worker holds per table is the pages its lookups touched,
  /// not the table. Large sources derive one at a time across processes (`DerivationGate`); a
  /// worker that waited finds the archive another one made for the same file and derives
  /// nothing. Without a usable archive (no cache, a failed write, a string longer than an
  /// archive may hold) the derived table is returned; without a cache nothing is gated.
  public func table(for source: String, derive: () throws(ParseError) -> SymbolTable)
    throws(ParseError) -> SymbolTable
  {
    guard let directory, let path = archivePath(for: source) else { return try derive() }
    if let table = opened(path) { return table }
    let size = (try? FileManager.default.attributesOfItem(atPath: source)[.size] as? Int) ?? 0
    guard size >= DerivationGate.largeSourceBytes else {
      return try derived(at: path, derive)
    }
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return try DerivationGate.holding("\(directory)/derive.lock") { () throws(ParseError) in
      if let table = opened(path) { return table }
      // The derivation's freed memory goes back before the next one starts, whichever thread,
      // and also when it failed.
      defer { crashsift_give_back_free_heap() }
      return try derived(at: path, derive)
    }
  }

  /// The archive at `path` opened, touched so pruning removes the ones used longest ago; `nil`
  /// when it is missing or damaged (it is then derived again and replaced).
  private func opened(_ path: String) -> SymbolTable? {
    guard let file = try? MappedFile(path: path),
      let table = try? SymbolTableArchive.open(file.reader)
    else { return nil }
    try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
    return table
  }

  /// Derives, archives and opens the archive; the derived arrays are freed on return.
  private func derived(at path: String, _ derive: () throws(ParseError) -> SymbolTable)
    throws(ParseError) -> SymbolTable
  {
    let table = try derive()
    guard store(table, at: path), let mapped = opened(path) else { return table }
    return mapped
  }

  /// At most this many archives are kept; past it, the least recently used quarter goes.
  public static let limit = 4096

  /// Removes the least recently used archives when there are more than `limit`.
  public func prune(limit: Int = DerivedTableStore.limit) {
    guard let directory,
      let names = try? FileManager.default.contentsOfDirectory(atPath: directory),
      names.count > limit
    else { return }
    let archives = names.filter { $0.hasSuffix(".cstab") }.map { name -> (String, Date) in
      let path = "\(directory)/\(name)"
      let used =
        (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)
        ?? .distantPast
      return (path, used)
    }.sorted { $0.1 < $1.1 }
    for (path, _) in archives.prefix(archives.count - limit * 3 / 4) {
      try? FileManager.default.removeItem(atPath: path)
    }
  }

  /// Whether the archive of `table` is now at `path`.
  private func store(_ table: SymbolTable, at path: String) -> Bool {
    guard let directory else { return false }
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let temporary =
      "\(path).\(ProcessInfo.processInfo.processIdentifier).\(UInt64.random(in: 0...UInt64.max)).tmp"
    // Streamed in pieces: a big PDB's archive is over 100 MB, which must not sit in memory next
    // to the table it was made from.
    guard FileManager.default.createFile(atPath: temporary, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporary)
    else { return false }
    let written = SymbolTableArchive.write(table) { piece in
      (try? handle.write(contentsOf: Data(piece))) != nil
    }
    guard (try? handle.close()) != nil, written else {
      try? FileManager.default.removeItem(atPath: temporary)
      return false
    }
    guard rename(temporary, path) == 0 else {
      try? FileManager.default.removeItem(atPath: temporary)
      return false
    }
    removeOlderVersions(of: path)
    prune()
    return true
  }

  /// Removes the archives of the same source written by older archive versions (`…-v3.cstab`
  /// beside the new `…-v4.cstab`): this crashsift never reads them, and a big PDB's is over
  /// 100 MB. Newer versions' archives are left to the crashsift that wrote them.
  private func removeOlderVersions(of path: String) {
    guard let directory else { return }
    let name = URL(fileURLWithPath: path).lastPathComponent
    let suffix = "-v\(SymbolTableArchive.version).cstab"
    guard name.hasSuffix(suffix) else { return }
    let stem = String(name.dropLast(suffix.count)) + "-v"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    for other in names where other.hasPrefix(stem) && other.hasSuffix(".cstab") {
      guard let version = UInt32(other.dropFirst(stem.count).dropLast(".cstab".count)),
        version < SymbolTableArchive.version
      else { continue }
      try? FileManager.default.removeItem(atPath: "\(directory)/\(other)")
    }
  }
}

/// 64-bit FNV-1a of a string: a short, stable folder tag for archive names.
private struct FNV1a {
  var value: UInt64 = 0xCBF2_9CE4_8422_2325

  mutating func add(_ text: String) {
    for byte in text.utf8 {
      value ^= UInt64(byte)
      value = value &* 0x100_0000_01B3
    }
  }
}
