/// `EPROCESS.ImageFileName` (UCHAR[15]): where it lies comes from `KernelLayoutTable` (the offset
/// is not in KDDEBUGGER_DATA64; docs/kernel-offsets/ gives each row's sources), and the name read
/// through it is checked (printable, not empty) before it is shown, so a wrong offset gives
/// "unknown", never garbage.
enum ImageFileNameOffsets {
  /// The offset for a machine (IMAGE_FILE_MACHINE_*) and build, nil when no row covers it.
  static func offset(machine: UInt32, build: UInt32) -> Int? {
    KernelLayoutTable.rows(machine: machine, build: build).first { $0.field == .imageFileName }?
      .offset
  }

  /// The name as stored (NUL-terminated ASCII), nil unless it looks like a file name.
  static func name(_ bytes: [UInt8]) -> String? {
    let text = bytes.prefix { $0 != 0 }
    guard !text.isEmpty, text.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
    return String(decoding: text, as: UTF8.self)
  }
}
