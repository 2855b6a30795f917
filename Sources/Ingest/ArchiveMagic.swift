/// Recognises archive and compressed-stream signatures, so nested archives are found by content
/// rather than by name.
enum ArchiveMagic {
  /// Whether `head` starts like a container libarchive can open.
  ///
  /// Signatures: zip `PK\3\4` (and `PK\5\6` empty, `PK\7\8` spanned), gzip `1F 8B`, bzip2 `BZh`,
  /// xz `FD 37 7A 58 5A 00`, zstd `28 B5 2F FD`, lz4 `04 22 4D 18`, 7z `37 7A BC AF 27 1C`,
  /// cab `MSCF`, rar `Rar!`, ustar `ustar` at offset 257 (libarchive's format bidders).
  static func isArchive(_ head: UnsafeRawBufferPointer) -> Bool {
    func starts(_ signature: [UInt8], at offset: Int = 0) -> Bool {
      guard head.count >= offset + signature.count else { return false }
      for (index, byte) in signature.enumerated() where head[offset + index] != byte {
        return false
      }
      return true
    }
    return starts([0x50, 0x4B, 0x03, 0x04]) || starts([0x50, 0x4B, 0x05, 0x06])
      || starts([0x50, 0x4B, 0x07, 0x08]) || starts([0x1F, 0x8B]) || starts([0x42, 0x5A, 0x68])
      || starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) || starts([0x28, 0xB5, 0x2F, 0xFD])
      || starts([0x04, 0x22, 0x4D, 0x18]) || starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C])
      || starts(Array("MSCF".utf8)) || starts(Array("Rar!".utf8))
      || starts(Array("ustar".utf8), at: 257)
  }
}
