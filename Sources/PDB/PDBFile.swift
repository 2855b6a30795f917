import ByteReader
import CodeView

/// A PDB: identity (GUID, ages), section headers, OMAP, and public symbols
/// (reference/pdb-and-symbols.md §2.2–2.5). Module symbols and line tables are not read yet.
public struct PDBFile: Sendable {
  public let msf: MSFFile
  public let guid: MinidumpGUID
  /// The PDB-info-stream age (may be bumped by post-processing).
  public let infoAge: UInt32
  /// The DBI age: the one RSDS records and symbol stores use.
  public let dbiAge: UInt32
  public let machine: UInt16
  /// Section headers (VirtualAddress) for segment:offset → RVA.
  public let sectionAddresses: [UInt32]
  /// Whether each section (by segment − 1) holds code (IMAGE_SCN_CNT_CODE 0x20 or
  /// IMAGE_SCN_MEM_EXECUTE 0x20000000 in its Characteristics).
  public let sectionIsCode: [Bool]
  /// The DBI optional debug header: stream numbers by slot (0xFFFF = none); slot 0 FPO, 9 new FPO
  /// (frame data), 3/4 OMAP, 5 section headers (reference/pdb-and-symbols.md).
  let debugStreamIndexes: [Int]
  /// OMAP from-source records (sorted by source), when the image was reordered.
  let omapFromSource: [(UInt32, UInt32)]
  /// OMAP to source: `(RVA in the final image, RVA as linked)`, sorted by the first.
  let omapToSource: [(UInt32, UInt32)]
  /// The end of the last section (VirtualAddress + VirtualSize) in the headers read: the image
  /// length OMAP ranges are capped at.
  let imageLength: UInt32
  let symbolRecordStream: Int

  public init(path: String) throws(ParseError) {
    try self.init(msf: MSFFile(file: MappedFile(path: path)))
  }

  public init(msf: MSFFile) throws(ParseError) {
    self.msf = msf
    guard let info = try msf.stream(1) else { throw ParseError("PDB", "no PDB info stream (1)") }
    let w = "PDB info stream"
    infoAge = try info.u32(at: 8, w)
    var data4: [UInt8] = []
    for index in 0..<8 { data4.append(try info.u8(at: 20 + index, w)) }
    guid = MinidumpGUID(
      data1: try info.u32(at: 12, w), data2: try info.u16(at: 16, w),
      data3: try info.u16(at: 18, w), data4: data4)
    guard let dbi = try msf.stream(3) else { throw ParseError("PDB", "no DBI stream (3)") }
    let d = "DBI stream"
    guard try dbi.u32(at: 0, d) == 0xFFFF_FFFF else {
      throw ParseError(d, "an ancient DBI header (not V70)")
    }
    dbiAge = try dbi.u32(at: 8, d)
    symbolRecordStream = Int(try dbi.u16(at: 20, d))
    machine = try dbi.u16(at: 58, d)
    var offset = 64
    for field in [24, 28, 32, 36, 40, 52] {
      let size = Int(Int32(bitPattern: try dbi.u32(at: field, d)))
      guard size >= 0, size <= dbi.count else {
        throw ParseError(d, "substream size \(size) is impossible")
      }
      offset += size
    }
    let optionalSize = Int(Int32(bitPattern: try dbi.u32(at: 48, d)))
    var debugStreams: [Int] = []
    if optionalSize > 0 {
      for index in 0..<(optionalSize / 2) {
        debugStreams.append(Int(try dbi.u16(at: offset + index * 2, "DBI optional debug header")))
      }
    }
    debugStreamIndexes = debugStreams
    func debugStream(_ index: Int) -> Int? {
      index < debugStreams.count && debugStreams[index] != 0xFFFF ? debugStreams[index] : nil
    }
    // With OMAP, symbols use the original section layout (dbg[10]) and are mapped through OMAP.
    let omapFrom = debugStream(4)
    let sectionStream = omapFrom != nil ? (debugStream(10) ?? debugStream(5)) : debugStream(5)
    var addresses: [UInt32] = []
    var code: [Bool] = []
    var end: UInt32 = 0
    if let index = sectionStream, let headers = try msf.stream(index) {
      for section in 0..<(headers.count / 40) {
        let address = try headers.u32(at: section * 40 + 12, "section headers")
        addresses.append(address)
        code.append(try headers.u32(at: section * 40 + 36, "section headers") & 0x2000_0020 != 0)
        end = max(end, address &+ (try headers.u32(at: section * 40 + 8, "section headers")))
      }
    }
    imageLength = end
    var omapTo: [(UInt32, UInt32)] = []
    if omapFrom != nil, let index = debugStream(3), let stream = try msf.stream(index) {
      for record in 0..<(stream.count / 8) {
        omapTo.append(
          (try stream.u32(at: record * 8, "OMAP"), try stream.u32(at: record * 8 + 4, "OMAP")))
      }
    }
    omapToSource = omapTo
    sectionAddresses = addresses
    sectionIsCode = code
    var omap: [(UInt32, UInt32)] = []
    if let index = omapFrom, let stream = try msf.stream(index) {
      for record in 0..<(stream.count / 8) {
        omap.append(
          (try stream.u32(at: record * 8, "OMAP"), try stream.u32(at: record * 8 + 4, "OMAP")))
      }
    }
    omapFromSource = omap
  }

  /// The symbol-store key: GUID (upper case, no dashes) + DBI age in upper-case hex.
  public var debugIdentifier: String {
    guid.compact + String(dbiAge, radix: 16, uppercase: true)
  }

  /// The RVA of `segment:offset`, through OMAP when the image was reordered; `nil` when the
  /// section is unknown or OMAP eliminated the address.
  public func rva(segment: UInt16, offset: UInt32) -> UInt32? {
    linkedRVA(segment: segment, offset: offset).flatMap(mapped)
  }

  /// The RVA of `segment:offset` in the image as linked, before any OMAP reordering.
  public func linkedRVA(segment: UInt16, offset: UInt32) -> UInt32? {
    guard segment >= 1, Int(segment) <= sectionAddresses.count else { return nil }
    return sectionAddresses[Int(segment) - 1] &+ offset
  }

  /// An RVA of the image as linked (what FPO and frame data hold) in the final image: itself, or
  /// through OMAP; `nil` when OMAP eliminated it.
  public func mapped(_ internalRVA: UInt32) -> UInt32? {
    guard !omapFromSource.isEmpty else { return internalRVA }
    var low = 0
    var high = omapFromSource.count
    while low < high {
      let mid = (low + high) / 2
      if omapFromSource[mid].0 <= internalRVA { low = mid + 1 } else { high = mid }
    }
    guard low > 0 else { return nil }
    let (source, target) = omapFromSource[low - 1]
    return target == 0 ? nil : target &+ (internalRVA - source)
  }

  /// One S_PUB32 record.
  public struct PublicSymbol: Sendable, Equatable {
    public var name: String
    public var segment: UInt16
    public var offset: UInt32
    public var flags: UInt32
  }

  /// Every S_PUB32 record of the symbol record stream, in stream order.
  public func publicSymbols() throws(ParseError) -> [PublicSymbol] {
    guard let records = try msf.stream(symbolRecordStream) else { return [] }
    var result: [PublicSymbol] = []
    // Names lie inside their own records, so they cannot add up to more than the stream; a PDB
    // of a few GB has more than the default budget of them, and must not read as hostile.
    var budget = DecodeBudget(bytes: max(DecodeBudget.listDefault, records.count))
    try SymbolRecords(reader: records, start: 0, what: "symbol record stream").forEach {
      (kind, offset, length) throws(ParseError) in
      guard kind == 0x110E, length >= 12 else { return }
      let name = try records.cString(at: offset + 14, maxLength: length - 12, "S_PUB32 name")
      try budget.spend(name.utf8.count, "public symbol names")
      result.append(
        PublicSymbol(
          name: name, segment: try records.u16(at: offset + 12, "S_PUB32"),
          offset: try records.u32(at: offset + 8, "S_PUB32"),
          flags: try records.u32(at: offset + 4, "S_PUB32")))
    }
    return result
  }
}
