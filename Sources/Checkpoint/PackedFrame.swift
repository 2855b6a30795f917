import Foundation

/// One frame of a walked stack as the checkpoint stores it: a walk's frames are one JSON array in
/// one row (`crash_stacks.frames`, `thread_stacks.frames`), and the views `symbolized_frames` and
/// `thread_frames` give them back one row per frame.
///
/// Each frame is an array of its fields by position, in `Field` order; trailing nulls are left
/// out. Numbers are SQLite's signed 64-bit integers (addresses and offsets by bit pattern, as the
/// per-frame tables stored them), so `json_extract` in the views returns exactly the integers the
/// old columns held. JSON rather than a binary layout: the frames stay readable with SQLite alone
/// (the views, `json_each`), which users of the workspace database rely on.
public struct PackedFrame: Sendable, Equatable {
  /// Positions of the fields in a frame's array; the views name them. Stored data and the
  /// views of migration v13 depend on these positions: append new fields, never reorder.
  public enum Field: Int, CaseIterable, Sendable {
    case address, stackPointer, trust, module, moduleOffset, function, functionOffset, file, line
    case lineOffset, missing, inlines
  }

  /// The frame's instruction (a caller's return address), by bit pattern.
  public var address: Int64
  public var stackPointer: Int64?
  /// How the unwinder found the frame (`context`, `trap`, `cfi`, …).
  public var trust: String?
  public var module: String?
  public var moduleOffset: Int64?
  public var function: String?
  public var functionOffset: Int64?
  public var file: String?
  public var line: Int64?
  /// The offset from the line's first instruction (breakpad's `+0x…` after file:line).
  public var lineOffset: Int64?
  /// Why the frame has no function.
  public var missing: String?
  /// Inlined calls at the address, innermost first, each "name [file : line]".
  public var inlines: [String]

  public init(
    address: Int64, stackPointer: Int64? = nil, trust: String? = nil, module: String? = nil,
    moduleOffset: Int64? = nil, function: String? = nil, functionOffset: Int64? = nil,
    file: String? = nil, line: Int64? = nil, lineOffset: Int64? = nil, missing: String? = nil,
    inlines: [String] = []
  ) {
    self.address = address
    self.stackPointer = stackPointer
    self.trust = trust
    self.module = module
    self.moduleOffset = moduleOffset
    self.function = function
    self.functionOffset = functionOffset
    self.file = file
    self.line = line
    self.lineOffset = lineOffset
    self.missing = missing
    self.inlines = inlines
  }

  /// The JSON text of `frames`. Text is cut at its first NUL, as binding a `String` to SQLite
  /// does, so a frame reads back from the view exactly as the per-frame table stored it.
  public static func pack(_ frames: [PackedFrame]) -> String {
    var writer = Writer()
    writer.bytes.reserveCapacity(16 + frames.count * 112)
    writer.bytes.append(UInt8(ascii: "["))
    for (index, frame) in frames.enumerated() {
      if index > 0 { writer.bytes.append(UInt8(ascii: ",")) }
      writer.frame(frame)
    }
    writer.bytes.append(UInt8(ascii: "]"))
    return String(decoding: writer.bytes, as: UTF8.self)
  }

  /// The frames of `text` (what `pack` wrote); throws when it is not such an array.
  public static func unpack(_ text: String) throws -> [PackedFrame] {
    try decoder.decode([PackedFrame].self, from: Data(text.utf8))
  }

  /// Shared: a decoder has no per-call state that matters here.
  private static let decoder = JSONDecoder()

  /// Appends JSON without a per-value allocation: digits and escapes written byte by byte.
  struct Writer {
    var bytes: [UInt8] = []
    /// Nulls seen since the last value, written only if a value follows (trailing nulls are
    /// left out).
    private var nulls = 0
    private var first = true

    mutating func frame(_ frame: PackedFrame) {
      bytes.append(UInt8(ascii: "["))
      first = true
      nulls = 0
      integer(frame.address)
      integer(frame.stackPointer)
      text(frame.trust)
      text(frame.module)
      integer(frame.moduleOffset)
      text(frame.function)
      integer(frame.functionOffset)
      text(frame.file)
      integer(frame.line)
      integer(frame.lineOffset)
      text(frame.missing)
      if frame.inlines.isEmpty {
        nulls += 1
      } else {
        separate()
        bytes.append(UInt8(ascii: "["))
        for (index, inline) in frame.inlines.enumerated() {
          if index > 0 { bytes.append(UInt8(ascii: ",")) }
          quoted(inline)
        }
        bytes.append(UInt8(ascii: "]"))
      }
      bytes.append(UInt8(ascii: "]"))
    }

    private mutating func separate() {
      while nulls > 0 {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
        nulls -= 1
      }
      if !first { bytes.append(UInt8(ascii: ",")) }
      first = false
    }

    mutating func integer(_ value: Int64?) {
      guard let value else {
        nulls += 1
        return
      }
      separate()
      if value < 0 { bytes.append(UInt8(ascii: "-")) }
      var magnitude = value.magnitude
      let start = bytes.count
      repeat {
        bytes.append(UInt8(truncatingIfNeeded: 0x30 &+ magnitude % 10))
        magnitude /= 10
      } while magnitude > 0
      bytes[start...].reverse()
    }

    mutating func text(_ value: String?) {
      guard let value else {
        nulls += 1
        return
      }
      separate()
      quoted(value)
    }

    /// A JSON string (RFC 8259 §7): quote, backslash and control characters escaped.
    private mutating func quoted(_ value: String) {
      bytes.append(UInt8(ascii: "\""))
      for byte in value.utf8 {
        switch byte {
        case 0: break
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
          bytes.append(UInt8(ascii: "\\"))
          bytes.append(byte)
        case 0x01..<0x20:
          bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30])
          bytes.append(0x30 &+ byte >> 4)
          let low = byte & 0xF
          bytes.append(low < 10 ? 0x30 &+ low : 0x57 &+ low)
        default:
          bytes.append(byte)
          continue
        }
        if byte == 0 { break }
      }
      bytes.append(UInt8(ascii: "\""))
    }
  }
}

extension PackedFrame: Decodable {
  /// Reads a frame's positional array; a missing trailing field is null.
  public init(from decoder: any Decoder) throws {
    var fields = try decoder.unkeyedContainer()
    func integer() throws -> Int64? {
      if fields.isAtEnd { return nil }
      return try fields.decodeIfPresent(Int64.self)
    }
    func text() throws -> String? {
      if fields.isAtEnd { return nil }
      return try fields.decodeIfPresent(String.self)
    }
    guard let address = try integer() else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "a frame without its address"))
    }
    self.address = address
    stackPointer = try integer()
    trust = try text()
    module = try text()
    moduleOffset = try integer()
    function = try text()
    functionOffset = try integer()
    file = try text()
    line = try integer()
    lineOffset = try integer()
    missing = try text()
    inlines = fields.isAtEnd ? [] : (try fields.decodeIfPresent([String].self) ?? [])
  }
}
