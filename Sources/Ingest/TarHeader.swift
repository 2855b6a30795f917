/// The check libarchive's tar reader makes before it calls a file a tar (also one without the
/// POSIX `ustar` magic, as old tars are): a 512-byte header whose checksum field (8 octal digits
/// at offset 148) equals the sum of the header's bytes with that field counted as spaces
/// (POSIX.1-1988 ustar; libarchive's `checksum()` in archive_read_support_format_tar.c).
enum TarHeader {
  static func checksumMatches(_ head: UnsafeRawBufferPointer) -> Bool {
    guard head.count >= 512 else { return false }
    var stored = 0
    var digits = 0
    for index in 148..<156 {
      let byte = head[index]
      if byte >= 0x30 && byte <= 0x37 {
        stored = stored * 8 + Int(byte - 0x30)
        digits += 1
      } else if byte == 0x20 || byte == 0 {
        if digits > 0 { break }
      } else {
        return false
      }
    }
    guard digits > 0 else { return false }
    var sum = 0
    for index in 0..<512 { sum += (148..<156).contains(index) ? 0x20 : Int(head[index]) }
    return sum == stored
  }
}
