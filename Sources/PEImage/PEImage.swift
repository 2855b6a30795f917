import ByteReader
import CodeView

/// A PE image (EXE, DLL, SYS), from a file or laid out in memory (a dump's module), parsed lazily:
/// headers and sections at open; debug, exception and export directories on demand.
/// Layouts: the PE/COFF specification (Microsoft), as summarised in reference/pdb-and-symbols.md §2.9.
public struct PEImage: Sendable {
  /// Where the bytes come from: a file (RVAs map through section headers) or a memory image
  /// (RVA = offset, as in a dump's copy of a loaded module).
  public enum Layout: Sendable { case file, mapped }

  public let reader: ByteReader
  public let layout: Layout
  public let machine: UInt16
  public let timeDateStamp: UInt32
  public let characteristics: UInt16
  /// 0x10B PE32, 0x20B PE32+.
  public let magic: UInt16
  public let addressOfEntryPoint: UInt32
  public let imageBase: UInt64
  public let sectionAlignment: UInt32
  public let fileAlignment: UInt32
  public let sizeOfImage: UInt32
  public let sizeOfHeaders: UInt32
  public let checksum: UInt32
  public let subsystem: UInt16
  public let dllCharacteristics: UInt16
  public let dataDirectories: [PEDataDirectory]
  public let sections: [PESection]

  /// The most sections and data directories a real image has; more is a hostile header.
  static let maxSections = 96
  static let maxChain = 8

  public init(path: String) throws(ParseError) {
    try self.init(reader: MappedFile(path: path).reader, layout: .file)
  }

  public init(reader: ByteReader, layout: Layout) throws(ParseError) {
    self.reader = reader
    self.layout = layout
    let w = "PE headers"
    guard try reader.u16(at: 0, w) == 0x5A4D else {
      throw ParseError(w, offset: reader.base, "no MZ signature")
    }
    let pe = Int(try reader.u32(at: 0x3C, w))
    guard try reader.u32(at: pe, w) == 0x0000_4550 else {
      throw ParseError(
        w, offset: reader.base + pe, "no PE\\0\\0 signature at e_lfanew 0x\(String(pe, radix: 16))")
    }
    let file = pe + 4
    machine = try reader.u16(at: file, w)
    let sectionCount = Int(try reader.u16(at: file + 2, w))
    timeDateStamp = try reader.u32(at: file + 4, w)
    let optionalSize = Int(try reader.u16(at: file + 16, w))
    characteristics = try reader.u16(at: file + 18, w)
    let optional = file + 20
    magic = try reader.u16(at: optional, w)
    let plus = magic == 0x20B
    guard magic == 0x10B || plus else {
      throw ParseError(
        w, offset: reader.base + optional,
        "optional header magic 0x\(String(magic, radix: 16)) is neither PE32 nor PE32+")
    }
    addressOfEntryPoint = try reader.u32(at: optional + 16, w)
    imageBase =
      plus ? try reader.u64(at: optional + 24, w) : UInt64(try reader.u32(at: optional + 28, w))
    sectionAlignment = try reader.u32(at: optional + 32, w)
    fileAlignment = try reader.u32(at: optional + 36, w)
    sizeOfImage = try reader.u32(at: optional + 56, w)
    sizeOfHeaders = try reader.u32(at: optional + 60, w)
    checksum = try reader.u32(at: optional + 64, w)
    subsystem = try reader.u16(at: optional + 68, w)
    dllCharacteristics = try reader.u16(at: optional + 70, w)
    let directoryCountOffset = optional + (plus ? 108 : 92)
    let directoryCount = min(Int(try reader.u32(at: directoryCountOffset, w)), 16)
    var directories: [PEDataDirectory] = []
    for index in 0..<directoryCount {
      let o = directoryCountOffset + 4 + index * 8
      guard o + 8 <= optional + optionalSize else { break }
      directories.append(
        PEDataDirectory(rva: try reader.u32(at: o, w), size: try reader.u32(at: o + 4, w)))
    }
    dataDirectories = directories
    guard sectionCount <= Self.maxSections else {
      throw ParseError(w, offset: reader.base + file + 2, "\(sectionCount) sections is implausible")
    }
    var sections: [PESection] = []
    let table = optional + optionalSize
    for index in 0..<sectionCount {
      let o = table + index * 40
      let rawName = try reader.array(at: o, count: 8, "section header")
      sections.append(
        PESection(
          name: String(decoding: rawName.prefix { $0 != 0 }, as: UTF8.self),
          virtualSize: try reader.u32(at: o + 8, w), virtualAddress: try reader.u32(at: o + 12, w),
          rawDataSize: try reader.u32(at: o + 16, w),
          pointerToRawData: try reader.u32(at: o + 20, w),
          characteristics: try reader.u32(at: o + 36, w)))
    }
    self.sections = sections
  }

  /// "x86_64", "x86", "arm64" (Breakpad's CPU names), or the machine value.
  public var cpuName: String {
    switch machine {
    case 0x8664: return "x86_64"
    case 0x14C: return "x86"
    case 0xAA64: return "arm64"
    case 0x1C4: return "arm"
    default: return "0x\(String(machine, radix: 16))"
    }
  }

  /// The symbol-store key of the image: `%08X%x` of TimeDateStamp and SizeOfImage.
  public var codeIdentifier: String {
    HexFormat.string { out in
      HexFormat.append(UInt64(timeDateStamp), width: 8, uppercase: true, to: &out)
      HexFormat.append(UInt64(sizeOfImage), to: &out)
    }
  }

  public func directory(_ index: Int) -> PEDataDirectory? {
    index < dataDirectories.count && dataDirectories[index].rva != 0 ? dataDirectories[index] : nil
  }

  /// The offset in `reader` of `count` bytes at `rva`.
  public func offset(ofRVA rva: UInt32, count: Int = 1) throws(ParseError) -> Int {
    switch layout {
    case .mapped:
      return Int(rva)
    case .file:
      if rva < sizeOfHeaders { return Int(rva) }
      for section in sections where section.contains(rva: rva) {
        let inSection = rva - section.virtualAddress
        guard inSection < section.rawDataSize else {
          throw ParseError(
            "RVA 0x\(String(rva, radix: 16))", "lies in the uninitialised part of \(section.name)")
        }
        return Int(section.pointerToRawData) + Int(inSection)
      }
      throw ParseError("RVA 0x\(String(rva, radix: 16))", "is in no section")
    }
  }

  /// A window of `count` bytes at `rva`.
  public func window(rva: UInt32, count: Int, _ what: String) throws(ParseError) -> ByteReader {
    try reader.window(at: try offset(ofRVA: rva, count: count), count: count, what)
  }

  /// The debug directory, with CodeView records decoded.
  public func debugEntries() throws(ParseError) -> [PEDebugEntry] {
    guard let directory = directory(PEDataDirectory.debug) else { return [] }
    let count = Int(directory.size) / 28
    guard count <= 64 else {
      throw ParseError("debug directory", "\(count) entries is implausible")
    }
    let table = try window(rva: directory.rva, count: count * 28, "debug directory")
    var entries: [PEDebugEntry] = []
    for index in 0..<count {
      let o = index * 28
      let w = "debug directory"
      var entry = PEDebugEntry(
        characteristics: try table.u32(at: o, w), timeDateStamp: try table.u32(at: o + 4, w),
        majorVersion: try table.u16(at: o + 8, w), minorVersion: try table.u16(at: o + 10, w),
        type: try table.u32(at: o + 12, w), sizeOfData: try table.u32(at: o + 16, w),
        addressOfRawData: try table.u32(at: o + 20, w),
        pointerToRawData: try table.u32(at: o + 24, w),
        codeView: nil)
      if entry.type == 2, entry.sizeOfData >= 8 {
        let raw =
          layout == .file && entry.pointerToRawData != 0
          ? try reader.window(
            at: Int(entry.pointerToRawData), count: Int(entry.sizeOfData), "CodeView record")
          : try window(rva: entry.addressOfRawData, count: Int(entry.sizeOfData), "CodeView record")
        entry.codeView = try CodeViewRecord(raw)
      }
      entries.append(entry)
    }
    return entries
  }

  /// The image's CodeView record (its PDB's identity), if it has one.
  public func codeView() throws(ParseError) -> CodeViewRecord? {
    try debugEntries().first { $0.codeView != nil }?.codeView
  }

  /// `.pdata` RUNTIME_FUNCTIONs (x64), in table order.
  public func runtimeFunctions() throws(ParseError) -> [PERuntimeFunction] {
    guard machine == 0x8664, let directory = directory(PEDataDirectory.exception) else { return [] }
    let count = Int(directory.size) / 12
    let table = try window(rva: directory.rva, count: count * 12, "exception directory")
    var functions: [PERuntimeFunction] = []
    functions.reserveCapacity(count)
    for index in 0..<count {
      let w = "exception directory"
      functions.append(
        PERuntimeFunction(
          begin: try table.u32(at: index * 12, w), end: try table.u32(at: index * 12 + 4, w),
          unwindInfo: try table.u32(at: index * 12 + 8, w)))
    }
    return functions
  }

  /// ARM64 `.pdata` entries (8 bytes each), in table order.
  public func arm64RuntimeFunctions() throws(ParseError) -> [ARM64RuntimeFunction] {
    guard machine == 0xAA64, let directory = directory(PEDataDirectory.exception) else { return [] }
    let count = Int(directory.size) / 8
    let table = try window(rva: directory.rva, count: count * 8, "exception directory")
    var functions: [ARM64RuntimeFunction] = []
    functions.reserveCapacity(count)
    for index in 0..<count {
      let w = "exception directory"
      functions.append(
        ARM64RuntimeFunction(
          begin: try table.u32(at: index * 8, w), unwindData: try table.u32(at: index * 8 + 4, w)))
    }
    return functions
  }

  /// The ARM64 `.xdata` record at `rva`.
  public func arm64UnwindInfo(rva: UInt32) throws(ParseError) -> ARM64UnwindInfo {
    let offset = try offset(ofRVA: rva, count: 8)
    // Header, extension, up to 0xFFFF epilog scopes and 255 code words at most.
    let limit = min(reader.count - offset, 8 + 0xFFFF * 4 + 255 * 4)
    return try ARM64UnwindInfo(try reader.window(from: offset, limit: limit, "ARM64 .xdata"))
  }

  /// The UNWIND_INFO at `rva`.
  public func unwindInfo(rva: UInt32) throws(ParseError) -> UnwindInfo {
    let header = try window(rva: rva, count: 4, "UNWIND_INFO")
    let count = Int(try header.u8(at: 2, "UNWIND_INFO"))
    let size = 4 + ((count + 1) & ~1) * 2 + 12
    let offset = try offset(ofRVA: rva)
    return try UnwindInfo(try reader.window(from: offset, limit: size, "UNWIND_INFO"))
  }

  /// The unwind info of `function` followed by its chain of parents (at most 8, as symbolic
  /// limits it: chained info can loop in hostile images).
  public func unwindChain(_ function: PERuntimeFunction) throws(ParseError) -> [UnwindInfo] {
    var chain: [UnwindInfo] = []
    var next: PERuntimeFunction? = function
    while let current = next {
      guard chain.count < Self.maxChain else {
        throw ParseError(
          "unwind chain",
          "longer than \(Self.maxChain) entries at RVA 0x\(String(function.begin, radix: 16)) (a loop?)"
        )
      }
      let info = try unwindInfo(rva: current.unwindInfo)
      chain.append(info)
      next = info.chained
    }
    return chain
  }

  /// The export directory's symbols, sorted by RVA.
  public func exports() throws(ParseError) -> [PEExport] {
    guard let directory = directory(PEDataDirectory.export) else { return [] }
    let w = "export directory"
    let table = try window(rva: directory.rva, count: 40, w)
    let base = try table.u32(at: 16, w)
    let functionCount = Int(try table.u32(at: 20, w))
    let nameCount = Int(try table.u32(at: 24, w))
    guard functionCount <= 1 << 20, nameCount <= functionCount else {
      throw ParseError(w, "\(functionCount) functions and \(nameCount) names are implausible")
    }
    let functions = try window(rva: try table.u32(at: 28, w), count: functionCount * 4, w)
    let names = try window(rva: try table.u32(at: 32, w), count: nameCount * 4, w)
    let ordinals = try window(rva: try table.u32(at: 36, w), count: nameCount * 2, w)
    var nameByIndex: [Int: String] = [:]
    var budget = DecodeBudget()
    for index in 0..<nameCount {
      let ordinalIndex = Int(try ordinals.u16(at: index * 2, w))
      let nameRVA = try names.u32(at: index * 4, w)
      let name = try reader.cString(at: try offset(ofRVA: nameRVA), maxLength: 4096, "export name")
      try budget.spend(name.utf8.count, "export names")
      nameByIndex[ordinalIndex] = name
    }
    var exports: [PEExport] = []
    for index in 0..<functionCount {
      let rva = try functions.u32(at: index * 4, w)
      guard rva != 0 else { continue }
      var forwarder: String?
      if rva >= directory.rva && UInt64(rva) < UInt64(directory.rva) + UInt64(directory.size) {
        let text = try reader.cString(
          at: try offset(ofRVA: rva), maxLength: 4096, "export forwarder")
        try budget.spend(text.utf8.count, "export forwarders")
        forwarder = text
      }
      exports.append(
        PEExport(
          // The base is any DWORD; a hostile one must wrap, not trap (fuzz finding).
          ordinal: base &+ UInt32(index), name: nameByIndex[index], rva: rva, forwarder: forwarder))
    }
    return exports.sorted { ($0.rva, $0.ordinal) < ($1.rva, $1.ordinal) }
  }
}
