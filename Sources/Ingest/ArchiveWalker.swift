import Checkpoint
import Foundation

/// Walks one archive file, nested archives included, and stores every dump it holds.
///
/// Dumps are recognised by their signature (`DumpKind.sniff`); files named like dumps
/// (`.dmp`, `.mdmp`, `.hdmp`) without a known signature are stored as `unknown` so the parse
/// stage can report them instead of silently dropping them. Nested archives are recognised by
/// their signature too. Reading streams in fixed-size chunks: a dump's bytes pass through one
/// reused buffer on their way to the store.
public final class ArchiveWalker {
  /// What the walker reports while it reads, in archive order.
  public enum Event {
    /// A dump was stored.
    case dump(StoredDump)
    /// An entry was passed over for a reason worth recording (link, device, cap, bad data).
    case issue(entryPath: String, reason: String)
  }

  private let store: DumpStore
  private let limits: IngestLimits
  private let chunk: UnsafeMutableRawBufferPointer
  private let onEvent: (Event) throws -> Void
  private let onProgress: (Int64) -> Void

  private var expandedBytes: Int64 = 0
  private var entries = 0
  private var dumps = 0
  private var skipped = 0
  private var formats: [String] = []
  private var firstError: String?
  private var topReader: ArchiveReader?

  private static let localeReady: Bool = {
    // libarchive decodes entry names through the C locale's charset; UTF-8 keeps non-ASCII
    // names intact instead of failing the conversion.
    setlocale(LC_CTYPE, "C.UTF-8") != nil
  }()

  /// - Parameters:
  ///   - onEvent: called for every stored dump and recorded issue; an error it throws stops
  ///     the walk (used by the caller to give up on a full disk).
  ///   - onProgress: called with the archive-file bytes consumed so far.
  public init(
    store: DumpStore, limits: IngestLimits,
    onEvent: @escaping (Event) throws -> Void,
    onProgress: @escaping (Int64) -> Void = { _ in }
  ) {
    _ = Self.localeReady
    self.store = store
    self.limits = limits
    self.onEvent = onEvent
    self.onProgress = onProgress
    chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)
  }

  deinit { chunk.deallocate() }

  /// Walks the archive at `path`. Errors in the archive end up in the outcome, not thrown:
  /// what was stored before an error is kept. Only a failure of `onEvent` or of the store is
  /// thrown, because the next archive would fail the same way.
  public func walk(path: String) throws(IngestError) -> ArchiveOutcome {
    do {
      let reader = try ArchiveReader(path: path)
      topReader = reader
      try walk(
        reader: reader, prefix: "", depth: 0, containerName: (path as NSString).lastPathComponent)
    } catch {
      switch error {
      case .store: throw error
      case .archive(let message), .entry(let message), .capExceeded(let message), .io(let message):
        record(error: message)
      }
    }
    topReader = nil
    return ArchiveOutcome(
      error: firstError, entries: entries, dumps: dumps, skipped: skipped,
      formats: formats.joined(separator: " > "))
  }

  private func record(error message: String) {
    if firstError == nil { firstError = message }
  }

  private func issue(_ entryPath: String, _ reason: String) throws(IngestError) {
    skipped += 1
    try emit(.issue(entryPath: entryPath, reason: reason))
  }

  private func emit(_ event: Event) throws(IngestError) {
    do {
      try onEvent(event)
    } catch let error as IngestError {
      throw error
    } catch {
      throw .store("\(error)")
    }
  }

  private func walk(
    reader: ArchiveReader, prefix: String, depth: Int, containerName: String
  ) throws(IngestError) {
    var recordedFormat = false
    var seenNames: [String: Int] = [:]
    while let entry = try reader.nextEntry() {
      if !recordedFormat {
        formats.append(reader.formatDescription)
        recordedFormat = true
      }
      entries += 1
      guard entries <= limits.maxEntries else {
        throw .capExceeded(
          "stopped after \(limits.maxEntries) entries (max_entries); the archive holds more")
      }
      var name = entry.path
      if reader.isRaw {
        // A lone compressed stream: name it after its container minus the compression suffix.
        name = Self.strippingCompressionSuffix(containerName)
      }
      seenNames[name, default: 0] += 1
      if let count = seenNames[name], count > 1 { name += " (#\(count))" }
      let entryPath = prefix + name
      switch entry.type {
      case .directory:
        continue
      case .symlink:
        try issue(entryPath, "symbolic link to \(entry.linkTarget ?? "?"): not followed")
        continue
      case .hardlink:
        try issue(entryPath, "hard link to \(entry.linkTarget ?? "?"): not followed")
        continue
      case .other(let mode):
        try issue(entryPath, "special file (mode 0o\(String(mode, radix: 8))): not read")
        continue
      case .regular:
        break
      }
      if let size = entry.declaredSize, size > limits.maxEntryBytes {
        try issue(
          entryPath, "entry of \(size) bytes exceeds max_entry_bytes (\(limits.maxEntryBytes))")
        continue
      }
      do {
        try readEntry(reader: reader, entry: entry, entryPath: entryPath, depth: depth)
      } catch {
        switch error {
        case .entry(let message):
          record(error: "\(entryPath): \(message)")
          try issue(entryPath, "unreadable: \(message)")
        case .archive(let message):
          throw .archive("\(entryPath): \(message)")
        default:
          throw error
        }
      }
    }
  }

  /// Fills `chunk` with the entry's first bytes (enough to sniff) and returns the count.
  private func readHead(_ reader: ArchiveReader) throws(IngestError) -> Int {
    var filled = 0
    while filled < 512 {
      let count = try reader.read(into: UnsafeMutableRawBufferPointer(rebasing: chunk[filled...]))
      if count == 0 { break }
      filled += count
    }
    return filled
  }

  private func readEntry(
    reader: ArchiveReader, entry: ArchiveReader.Entry, entryPath: String, depth: Int
  ) throws(IngestError) {
    let headCount = try readHead(reader)
    try account(Int64(headCount))
    let head = UnsafeRawBufferPointer(rebasing: chunk[0..<headCount])
    if let kind = DumpKind.sniff(head) {
      try storeDump(
        reader: reader, headCount: headCount, kind: kind, entry: entry, entryPath: entryPath)
    } else if ArchiveMagic.isArchive(head) && !(reader.isRaw && depth > 0) {
      guard depth < limits.maxDepth else {
        try issue(
          entryPath, "nested archive deeper than max_depth (\(limits.maxDepth)): not opened")
        return
      }
      try openNested(reader: reader, headCount: headCount, entryPath: entryPath, depth: depth)
    } else if Self.looksLikeDumpName(entryPath) {
      try storeDump(
        reader: reader, headCount: headCount, kind: .unknown, entry: entry, entryPath: entryPath)
    } else if reader.isRaw && depth == 0 {
      // The manifest named this file as an upload, and it is neither: say so rather than
      // report an archive of one entry and no dump.
      try issue(entryPath, "neither an archive nor a crash dump: nothing stored")
    } else {
      skipped += 1
    }
  }

  private func account(_ count: Int64) throws(IngestError) {
    expandedBytes += count
    guard expandedBytes <= limits.maxArchiveBytes else {
      throw .capExceeded(
        "stopped: expanded past max_archive_bytes (\(limits.maxArchiveBytes) bytes); possible archive bomb"
      )
    }
    if expandedBytes > limits.ratioFloorBytes, let top = topReader {
      let consumed = max(top.rawBytesConsumed, 1)
      let ratio = Double(expandedBytes) / Double(consumed)
      guard ratio <= limits.maxCompressionRatio else {
        throw .capExceeded(
          "stopped: \(expandedBytes) bytes expanded from \(consumed) archive bytes (ratio \(Int(ratio)) > max_compression_ratio \(Int(limits.maxCompressionRatio))); possible archive bomb"
        )
      }
      onProgress(consumed)
    }
  }

  private func storeDump(
    reader: ArchiveReader, headCount: Int, kind: DumpKind, entry: ArchiveReader.Entry,
    entryPath: String
  ) throws(IngestError) {
    let writer = try store.begin()
    try writer.write(UnsafeRawBufferPointer(rebasing: chunk[0..<headCount]))
    while true {
      let count = try reader.read(into: chunk)
      if count == 0 { break }
      try account(Int64(count))
      guard writer.byteCount + Int64(count) <= limits.maxEntryBytes else {
        writer.discard()
        try issue(
          entryPath, "entry grew past max_entry_bytes (\(limits.maxEntryBytes)); not stored")
        return
      }
      try writer.write(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
    }
    let size = writer.byteCount
    let sha256 = try writer.commit()
    dumps += 1
    try emit(
      .dump(
        StoredDump(
          entryPath: entryPath, sha256: sha256, size: size, kind: kind, entryMtime: entry.mtime)))
    if let top = topReader { onProgress(top.rawBytesConsumed) }
  }

  private func openNested(
    reader: ArchiveReader, headCount: Int, entryPath: String, depth: Int
  ) throws(IngestError) {
    let buffer = try NestedArchiveBuffer(
      store: store, inMemoryLimit: limits.nestedInMemoryBytes,
      maxBytes: limits.maxNestedArchiveBytes)
    try buffer.append(UnsafeRawBufferPointer(rebasing: chunk[0..<headCount]))
    while true {
      let count = try reader.read(into: chunk)
      if count == 0 { break }
      try account(Int64(count))
      guard try buffer.append(UnsafeRawBufferPointer(rebasing: chunk[0..<count])) else {
        try issue(
          entryPath,
          "nested archive larger than max_nested_archive_bytes (\(limits.maxNestedArchiveBytes)): not opened"
        )
        return
      }
    }
    let nested: ArchiveReader
    do {
      nested = try buffer.openReader()
    } catch {
      record(error: "\(entryPath): \(error)")
      try issue(entryPath, "nested archive unreadable: \(error)")
      return
    }
    let name = (entryPath as NSString).lastPathComponent
    do {
      try walk(reader: nested, prefix: entryPath + "!/", depth: depth + 1, containerName: name)
    } catch {
      switch error {
      case .archive(let message):
        // The outer archive is intact: keep walking it, but the archive as a whole failed.
        record(error: message)
        try issue(entryPath, "nested archive unreadable: \(message)")
      default:
        throw error
      }
    }
  }

  static func looksLikeDumpName(_ path: String) -> Bool {
    let lower = path.lowercased()
    return lower.hasSuffix(".dmp") || lower.hasSuffix(".mdmp") || lower.hasSuffix(".hdmp")
  }

  static func strippingCompressionSuffix(_ name: String) -> String {
    for suffix in [".gz", ".bz2", ".xz", ".zst", ".lz4", ".z", ".lzma"]
    where name.lowercased().hasSuffix(suffix) && name.count > suffix.count {
      return String(name.dropLast(suffix.count))
    }
    return name
  }
}
