import Checkpoint
import Foundation

/// A manifest input that is itself a dump (neither an archive nor compressed). Ingest has
/// already hashed it to find duplicates, so its bytes need not stream through the walker a
/// second time: the file is placed in the store under that hash (`DumpStore.place(file:…)`:
/// reflink, hard link for immutable sources, else copy_file_range), and the rows are the ones
/// the walker writes for it: one entry named after the file, in a `raw` "archive" of one dump.
public enum BareDump {
  /// The stored dump, the outcome to record for its input, and how it was placed.
  public struct Stored: Sendable {
    public var dump: StoredDump
    public var outcome: ArchiveOutcome
    public var placement: DumpStore.Placement
  }

  /// Stores the input at `path` (hashed to `sha256` while it was `identity`) when it starts with
  /// a dump signature, is no archive and fits the limits; nil when it is something else (an
  /// archive, a compressed file, something too large, a file changed since it was hashed), which
  /// the walker then reads the ordinary way.
  public static func store(
    path: String, sha256: String, identity: FileIdentity, immutable: Bool,
    store: DumpStore, limits: IngestLimits
  ) throws(IngestError) -> Stored? {
    let size = identity.size
    guard size >= 8, size <= limits.maxEntryBytes, size <= limits.maxArchiveBytes else {
      return nil
    }
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    // 512 bytes: enough to see a tar header, whose first bytes are the first member's name (a
    // member named MDMP… must not make the tar a minidump).
    var head = [UInt8](repeating: 0, count: 512)
    let count = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 512, 0) }
    guard count >= 8 else { return nil }
    let read = head.prefix(count)
    let isArchive = read.withUnsafeBytes {
      ArchiveMagic.isArchive($0) || TarHeader.checksumMatches($0)
    }
    guard !isArchive, let kind = DumpKind.sniff(read),
      let placement = try store.place(
        file: fd, sha256: sha256, identity: identity, immutable: immutable)
    else { return nil }
    let name = ArchiveWalker.strippingCompressionSuffix((path as NSString).lastPathComponent)
    return Stored(
      dump: StoredDump(entryPath: name, sha256: sha256, size: size, kind: kind, entryMtime: nil),
      outcome: ArchiveOutcome(error: nil, entries: 1, dumps: 1, skipped: 0, formats: "raw"),
      placement: placement)
  }
}
