import Crypto

/// WinDbg's FAILURE_ID_HASH: the MD5 of the lower-cased `km:`/`um:` + FAILURE_BUCKET_ID in
/// UTF-16LE, printed as a GUID whose first three fields are little-endian (reference
/// kernel-dumps.md §6.3; checked against every published pair in analyze-bucket-anchors.tsv).
public enum FailureIDHash {
  /// `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` for `bucket` analysed in kernel (`km`) or user
  /// (`um`) mode.
  public static func of(_ bucket: String, kernelMode: Bool) -> String {
    let text = ((kernelMode ? "km:" : "um:") + bucket).lowercased()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf16.count * 2)
    for unit in text.utf16 {
      bytes.append(UInt8(unit & 0xFF))
      bytes.append(UInt8(unit >> 8))
    }
    let digest = Array(Insecure.MD5.hash(data: bytes))
    // GUID bytes_le: Data1 (4), Data2 (2), Data3 (2) little-endian, then Data4 as stored.
    let order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15]
    let hex = order.map { index -> String in
      let value = digest[index]
      return (value < 16 ? "0" : "") + String(value, radix: 16)
    }
    return "{" + hex[0..<4].joined() + "-" + hex[4..<6].joined() + "-" + hex[6..<8].joined() + "-"
      + hex[8..<10].joined() + "-" + hex[10..<16].joined() + "}"
  }
}
