/// The records a bug check's parameters point at, written into the forged stack where the kernel's
/// code keeps them: the fault's CONTEXT record (`context@module!function+0xOFF`) and an
/// EXCEPTION_RECORD (`exception@module!function+0xOFF`), at that offset from the named frame's
/// stack pointer. The trap frame (`trap`) is the one the forge laid out below the machine frame.
extension StackForge.Layout {
  /// A parameter that names a record in a frame: `kind@module!function+0xOFF`.
  struct RecordPlace {
    var kind: String
    var module: String
    var function: String
    var offset: UInt64

    /// Nil when `text` is not of that form.
    init?(_ text: String) {
      guard let at = text.firstIndex(of: "@"), let bang = text.firstIndex(of: "!"), at < bang,
        let plus = text.lastIndex(of: "+"), bang < plus,
        let offset = Forge.parseHex(String(text[text.index(after: plus)...]))
      else { return nil }
      kind = String(text[..<at])
      module = String(text[text.index(after: at)..<bang])
      function = String(text[text.index(after: bang)..<plus])
      self.offset = offset
    }
  }

  /// x64 CONTEXT (0x4d0 bytes, winnt.h): the registers at the fault, RIP the faulting
  /// instruction, kernel segments, and the RFLAGS the machine frame holds.
  static func contextRecord(registers: [Int: UInt64], rip: UInt64) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: 0x4D0)
    // ContextFlags: CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS | FLOATING_POINT.
    put(&bytes, 0x30, 0x0010_000F, size: 4)
    put(&bytes, 0x34, 0x1F80, size: 4)  // MxCsr
    for (offset, selector) in [
      (0x38, 0x10), (0x3A, 0x2B), (0x3C, 0x2B), (0x3E, 0x53), (0x40, 0x2B),
    ] {
      put(&bytes, offset, UInt64(selector), size: 2)  // CS, DS, ES, FS, GS
    }
    put(&bytes, 0x42, 0x18, size: 2)  // SS
    put(&bytes, 0x44, 0x10282, size: 4)  // EFlags
    // RAX … R15 in register-number order from 0x78, then RIP.
    for register in 0..<16 { put(&bytes, 0x78 + 8 * register, registers[register] ?? 0, size: 8) }
    put(&bytes, 0xF8, rip, size: 8)
    return bytes
  }

  /// EXCEPTION_RECORD64 (0x98 bytes): code, flags, address and parameters.
  static func exceptionRecord(code: UInt32, flags: UInt32, address: UInt64, parameters: [UInt64])
    -> [UInt8]
  {
    var bytes = [UInt8](repeating: 0, count: 0x98)
    put(&bytes, 0, UInt64(code), size: 4)
    put(&bytes, 4, UInt64(flags), size: 4)
    put(&bytes, 0x10, address, size: 8)
    put(&bytes, 0x18, UInt64(parameters.count), size: 4)
    for (index, value) in parameters.prefix(15).enumerated() {
      put(&bytes, 0x20 + 8 * index, value, size: 8)
    }
    return bytes
  }

  static func put(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt64, size: Int) {
    for index in 0..<size { bytes[offset + index] = UInt8((value >> (8 * UInt64(index))) & 0xFF) }
  }

  /// Writes `bytes` at `place` in the frame of the stack entry it names (`entries`, outermost
  /// first, as the layout's stack pointers are), and returns the address. The record must be
  /// 8-byte aligned, lie inside that frame and overlap nothing the forge wrote there (saved
  /// registers, return addresses, trap frames).
  mutating func write(
    _ bytes: [UInt8], at place: RecordPlace, entries: [StackForge.Entry]
  ) throws(ForgeError) -> UInt64 {
    let name = "\(place.module)!\(place.function)"
    guard
      let index = entries.firstIndex(where: {
        $0.image.name.lowercased() == place.module.lowercased() && $0.function == place.function
      })
    else { throw ForgeError("\(place.kind)@\(name): no such frame on the stack") }
    let address = stackPointers[index] &+ place.offset
    let end = index == 0 ? top : stackPointers[index - 1]
    guard address % 8 == 0, bytes.count % 8 == 0, address + UInt64(bytes.count) <= end else {
      throw ForgeError(
        "\(place.kind)@\(name)+0x\(String(place.offset, radix: 16)): the record does not fit in that frame"
      )
    }
    var words: [(UInt64, UInt64)] = []
    for word in stride(from: 0, to: bytes.count, by: 8) {
      let slot = address + UInt64(word)
      guard slots[slot] == nil else {
        throw ForgeError(
          "\(place.kind)@\(name)+0x\(String(place.offset, radix: 16)): the record overlaps what the frame saved at 0x\(String(slot, radix: 16))"
        )
      }
      var value: UInt64 = 0
      for byte in 0..<8 { value |= UInt64(bytes[word + byte]) << (8 * UInt64(byte)) }
      words.append((slot, value))
    }
    for (slot, value) in words { slots[slot] = value }
    return address
  }
}
