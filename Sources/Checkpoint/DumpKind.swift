/// The container kind of a stored dump, sniffed from its first bytes.
public enum DumpKind: String, Sendable, Codable, CaseIterable {
  /// User-mode minidump (`MDMP` signature).
  case minidump = "MDMP"
  /// 64-bit kernel dump (`PAGEDU64`).
  case kernel64 = "PAGEDU64"
  /// 32-bit kernel dump (`PAGEDUMP`).
  case kernel32 = "PAGEDUMP"
  /// Named like a dump but without a known signature; the parse stage reports it as an error.
  case unknown

  /// Sniffs the kind from a file's first bytes (at least 8 are needed for kernel dumps).
  ///
  /// Signatures: `MINIDUMP_HEADER.Signature` = 'MDMP' (0x504D444D, minidump.md);
  /// `DUMP_HEADER64` starts 'PAGE' 'DU64', `DUMP_HEADER32` 'PAGE' 'DUMP' (kernel-dumps.md §1).
  public static func sniff<C: Collection>(_ head: C) -> DumpKind? where C.Element == UInt8 {
    let bytes = Array(head.prefix(8))
    if bytes.count >= 4, bytes[0..<4].elementsEqual("MDMP".utf8) { return .minidump }
    guard bytes.count == 8, bytes[0..<4].elementsEqual("PAGE".utf8) else { return nil }
    if bytes[4..<8].elementsEqual("DU64".utf8) { return .kernel64 }
    if bytes[4..<8].elementsEqual("DUMP".utf8) { return .kernel32 }
    return nil
  }
}
