import ByteReader

/// A module's CodeView record: how to find its PDB (reference/minidump.md §2.3).
public enum CodeViewRecord: Sendable, Equatable {
  /// PDB 7.0 (`RSDS`): GUID, age, PDB path.
  case pdb70(guid: MinidumpGUID, age: UInt32, pdbFileName: String)
  /// PDB 2.0 (`NB10`): offset, signature (a timestamp), age, PDB path.
  case pdb20(offset: UInt32, signature: UInt32, age: UInt32, pdbFileName: String)
  /// Breakpad's ELF build id (`BpEL`).
  case elf(buildID: [UInt8])
  /// Another signature, kept raw.
  case unknown(signature: UInt32)

  static let rsds: UInt32 = 0x5344_5352
  static let nb10: UInt32 = 0x3031_424E
  static let bpel: UInt32 = 0x4C45_7042
  /// CodeView records are small; a PDB path is at most a few hundred bytes.
  static let maxSize = 64 * 1024

  /// Reads a record of `r.count` bytes.
  public init(_ r: ByteReader) throws(ParseError) {
    let w = "CodeView record"
    guard r.count <= Self.maxSize else {
      throw ParseError(w, offset: r.base, "size \(r.count) is implausible")
    }
    let signature = try r.u32(at: 0, w)
    switch signature {
    case Self.rsds:
      var data4: [UInt8] = []
      for index in 0..<8 { data4.append(try r.u8(at: 12 + index, w)) }
      let guid = MinidumpGUID(
        data1: try r.u32(at: 4, w), data2: try r.u16(at: 8, w), data3: try r.u16(at: 10, w),
        data4: data4)
      self = .pdb70(
        guid: guid, age: try r.u32(at: 20, w),
        pdbFileName: try r.cString(at: 24, maxLength: r.count - 24, w))
    case Self.nb10:
      self = .pdb20(
        offset: try r.u32(at: 4, w), signature: try r.u32(at: 8, w), age: try r.u32(at: 12, w),
        pdbFileName: try r.cString(at: 16, maxLength: r.count - 16, w))
    case Self.bpel:
      self = .elf(buildID: try r.array(at: 4, count: r.count - 4, w))
    default:
      self = .unknown(signature: signature)
    }
  }

  /// The debug id as breakpad prints it: GUID upper-case + age in lower-case hex
  /// (`5A98…B7FF1`), or signature + age for NB10 (breakpad `guid_and_age_to_debug_id`,
  /// `MinidumpModule::debug_identifier`). Microsoft symbol-store paths upper-case the whole id.
  public var debugIdentifier: String? {
    switch self {
    case .pdb70(let guid, let age, _):
      return HexFormat.string { out in
        guid.append(to: &out, uppercase: true, dashes: false)
        HexFormat.append(UInt64(age), to: &out)
      }
    case .pdb20(_, let signature, let age, _):
      return HexFormat.string { out in
        HexFormat.append(UInt64(signature), width: 8, uppercase: true, to: &out)
        HexFormat.append(UInt64(age), to: &out)
      }
    default: return nil
    }
  }

  /// The PDB path the linker recorded.
  public var pdbFileName: String? {
    switch self {
    case .pdb70(_, _, let name), .pdb20(_, _, _, let name): return name
    default: return nil
    }
  }
}
