import ByteReader
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

  /// The table of `source`: read back from its archive, else derived (and archived).
  public func table(for source: String, derive: () throws(ParseError) -> SymbolTable)
    throws(ParseError) -> SymbolTable
  {
    guard let path = archivePath(for: source) else { return try derive() }
    if let file = try? MappedFile(path: path),
      let table = try? SymbolTableArchive.decode(
        file.reader, dropPagesEvery: Self.residentArchiveBytes)
    {
      // Touched on use, so pruning removes the archives no run has read for longest.
      try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: path)
      return table
    }
    let table = try derive()
    store(table, at: path)
    return table
  }

  /// How many bytes of an archive are decoded between two `dropResidentPages` calls: the archive
  /// is read once, front to back, and need not stay resident next to the table built from it.
  static let residentArchiveBytes = 16 << 20

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

  private func store(_ table: SymbolTable, at path: String) {
    guard let directory else { return }
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let temporary =
      "\(path).\(ProcessInfo.processInfo.processIdentifier).\(UInt64.random(in: 0...UInt64.max)).tmp"
    // Streamed in pieces: a big PDB's archive is over 100 MB, which must not sit in memory next
    // to the table it was made from.
    guard FileManager.default.createFile(atPath: temporary, contents: nil),
      let handle = FileHandle(forWritingAtPath: temporary)
    else { return }
    let written = SymbolTableArchive.write(table) { piece in
      (try? handle.write(contentsOf: Data(piece))) != nil
    }
    guard (try? handle.close()) != nil, written else {
      try? FileManager.default.removeItem(atPath: temporary)
      return
    }
    if rename(temporary, path) != 0 { try? FileManager.default.removeItem(atPath: temporary) }
    prune()
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
