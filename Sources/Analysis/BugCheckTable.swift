/// Bug-check names and which parameter holds the faulting instruction address.
public enum BugCheckTable {
  /// One documented code.
  public struct Entry: Sendable, Equatable {
    public var code: UInt32
    public var name: String
    /// `bugcheck`, `livedump` or `bugcheck+livedump`.
    public var kind: String
  }

  static let entries: [UInt32: Entry] = {
    var table: [UInt32: Entry] = [:]
    // Split on bytes: Character-wise splitting of a 20 KB literal is slow in debug builds.
    for line in source.utf8.split(separator: UInt8(ascii: "\n")) {
      let fields = line.split(separator: UInt8(ascii: "\t")).map {
        String(decoding: $0, as: UTF8.self)
      }
      guard fields.count >= 3, let code = UInt32(fields[0].dropFirst(2), radix: 16) else {
        continue
      }
      table[code] = Entry(code: code, name: fields[1], kind: fields[2])
    }
    return table
  }()

  /// The name WinDbg prints: the documented one, or for `0x1000xxxx` codes (the same bug check
  /// raised with the extended-parameter flag) the base name with `_M`.
  public static func name(for code: UInt32) -> String? {
    if let entry = entries[code] { return entry.name }
    if code & 0x1000_0000 != 0, let entry = entries[code & ~0x1000_0000] {
      return entry.name + "_M"
    }
    return nil
  }

  /// The number of documented codes.
  public static var count: Int { entries.count }

  /// The 0-based parameter that holds the faulting instruction address, per the per-code pages
  /// of MicrosoftDocs/windows-driver-docs (reference/kernel-dumps.md §2.3); `nil` when the code
  /// has none and the stack has to be walked.
  public static func faultingIPParameter(for code: UInt32) -> Int? {
    switch code & ~0x1000_0000 {
    case 0x0A, 0xD1: return 3
    case 0x1E, 0x3B, 0x7E, 0x8E: return 1
    case 0x50: return 2
    default: return nil
    }
  }
}
