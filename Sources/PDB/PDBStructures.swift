import ByteReader

/// Structure definitions of a PDB by name, indexed in one pass over its TPI stream, and member
/// offsets along paths like `ApcState.Process`.
public struct PDBStructures: Sendable {
  let types: TypeRecords
  /// Record offset of each structure or union definition (forward references left out).
  let definitions: [String: Int]
  /// Limits for hostile files: members per structure and continuation lists followed.
  static let maxMembers = 1 << 16
  static let maxContinuations = 256
  static let maxOffset: UInt64 = 1 << 20

  /// The PDB's structures; nil when it has no TPI stream.
  public init?(_ pdb: PDBFile) throws(ParseError) {
    guard let types = try pdb.typeRecords(stream: 2, "TPI stream") else { return nil }
    self.types = types
    var definitions: [String: Int] = [:]
    for offset in types.offsets {
      guard let header = try? Self.aggregate(types.reader, at: offset), !header.forward else {
        continue
      }
      if definitions[header.name] == nil { definitions[header.name] = offset }
    }
    self.definitions = definitions
  }

  /// The structure (or union) named `name`, with its data members.
  public func structure(_ name: String) -> PDBStructure? {
    guard let offset = definitions[name],
      let header = try? Self.aggregate(types.reader, at: offset)
    else { return nil }
    var members: [PDBStructure.Member] = []
    var list = header.fieldList
    var continuations = 0
    while list != 0, continuations < Self.maxContinuations {
      continuations += 1
      guard let next = try? readFieldList(list, into: &members) else { break }
      list = next
    }
    return PDBStructure(name: header.name, size: header.size, members: members)
  }

  /// The offset of `path` (members joined by dots) inside structure `name`, following members
  /// whose types are structures; nil when a step is missing.
  public func offset(of path: String, in name: String) -> Int? {
    var structure = name
    var total = 0
    let steps = path.split(separator: ".").map(String.init)
    for (index, step) in steps.enumerated() {
      guard let found = self.structure(structure)?.member(step) else { return nil }
      let (sum, overflow) = total.addingReportingOverflow(found.offset)
      guard !overflow else { return nil }
      total = sum
      if index + 1 < steps.count {
        guard let next = try? types.className(found.type) else { return nil }
        structure = next
      }
    }
    return total
  }

  /// Name, size, field list and forward-reference flag of an LF_STRUCTURE/LF_CLASS/LF_UNION
  /// record; throws for other records.
  static func aggregate(_ reader: ByteReader, at offset: Int) throws(ParseError) -> (
    name: String, size: Int, fieldList: UInt32, forward: Bool
  ) {
    let what = "type record"
    let length = Int(try reader.u16(at: offset, what))
    let end = offset + 2 + length
    let leaf = try reader.u16(at: offset + 2, what)
    let property = try reader.u16(at: offset + 6, what)
    let fieldList = try reader.u32(at: offset + 8, what)
    let sizeAt: Int
    switch leaf {
    case 0x1504, 0x1505: sizeAt = offset + 20
    case 0x1506: sizeAt = offset + 12
    default: throw ParseError(what, "not a structure")
    }
    let (size, used) = try numeric(reader, at: sizeAt)
    let nameAt = sizeAt + used
    guard nameAt < end else { throw ParseError(what, "no name") }
    let name = try reader.cString(at: nameAt, maxLength: end - nameAt, "structure name")
    return (name, Int(clamping: size), fieldList, property & 0x80 != 0)
  }

  /// A numeric leaf: a value below 0x8000 inline, else a kind then its bytes. Returns the value
  /// and the bytes it took.
  static func numeric(_ reader: ByteReader, at offset: Int) throws(ParseError) -> (UInt64, Int) {
    let what = "numeric leaf"
    let kind = try reader.u16(at: offset, what)
    switch kind {
    case ..<0x8000: return (UInt64(kind), 2)
    case 0x8000: return (UInt64(try reader.u8(at: offset + 2, what)), 3)
    case 0x8001, 0x8002: return (UInt64(try reader.u16(at: offset + 2, what)), 4)
    case 0x8003, 0x8004: return (UInt64(try reader.u32(at: offset + 2, what)), 6)
    case 0x8009, 0x800A: return (try reader.u64(at: offset + 2, what), 10)
    default: throw ParseError(what, "kind 0x\(String(kind, radix: 16)) is not read")
    }
  }

  /// Appends the data members of field list `index`; returns the continuation list's index, or 0.
  func readFieldList(_ index: UInt32, into members: inout [PDBStructure.Member])
    throws(ParseError) -> UInt32
  {
    let what = "field list"
    let reader = types.reader
    guard let offset = types.offset(of: index),
      try reader.u16(at: offset + 2, what) == 0x1203
    else { return 0 }
    let end = offset + 2 + Int(try reader.u16(at: offset, what))
    var cursor = offset + 4
    while cursor + 2 <= end {
      // Padding bytes (0xF1…0xFF) align subrecords to 4 bytes.
      if try reader.u8(at: cursor, what) >= 0xF0 {
        cursor += 1
        continue
      }
      let leaf = try reader.u16(at: cursor, what)
      switch leaf {
      case 0x150D:  // LF_MEMBER: attr, type, offset, name
        let type = try reader.u32(at: cursor + 4, what)
        let (value, used) = try Self.numeric(reader, at: cursor + 8)
        let nameAt = cursor + 8 + used
        let name = try reader.cString(at: nameAt, maxLength: max(0, end - nameAt), "member name")
        guard members.count < Self.maxMembers else { return 0 }
        // No kernel structure is anywhere near 1 MiB: a larger offset is a damaged record.
        if value < Self.maxOffset {
          members.append(.init(name: name, offset: Int(value), type: type))
        }
        cursor = nameAt + name.utf8.count + 1
      case 0x1404:  // LF_INDEX: the list continues in another record
        return try reader.u32(at: cursor + 4, what)
      case 0x1400:  // LF_BCLASS: attr, type, offset
        cursor += 8 + (try Self.numeric(reader, at: cursor + 8)).1
      case 0x1401, 0x1402:  // LF_VBCLASS, LF_IVBCLASS: attr, type, vbptr type, two numerics
        let first = try Self.numeric(reader, at: cursor + 12).1
        cursor += 12 + first + (try Self.numeric(reader, at: cursor + 12 + first)).1
      case 0x1409:  // LF_VFUNCTAB: pad, type
        cursor += 8
      case 0x150E, 0x1510:  // LF_STMEMBER (attr, type, name), LF_NESTTYPE (pad, type, name)
        cursor = try skipName(reader, cursor + 8, end)
      case 0x150F:  // LF_METHOD: count, method list, name
        cursor = try skipName(reader, cursor + 8, end)
      case 0x1511:  // LF_ONEMETHOD: attr, type, [vbase offset when introducing virtual], name
        let attributes = try reader.u16(at: cursor + 2, what)
        let introducing = (attributes >> 2) & 7 == 4 || (attributes >> 2) & 7 == 6
        cursor = try skipName(reader, cursor + 8 + (introducing ? 4 : 0), end)
      case 0x1502:  // LF_ENUMERATE: attr, value, name
        cursor = try skipName(
          reader, cursor + 4 + (try Self.numeric(reader, at: cursor + 4)).1, end)
      default:
        // An unknown subrecord: its length is unknown, so the rest of the list is not read.
        return 0
      }
    }
    return 0
  }

  func skipName(_ reader: ByteReader, _ at: Int, _ end: Int) throws(ParseError) -> Int {
    let name = try reader.cString(at: at, maxLength: max(0, end - at), "name")
    return at + name.utf8.count + 1
  }
}
