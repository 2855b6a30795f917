import ByteReader
import CodeView
import CrashsiftTestSupport
import Foundation
import PEImage
import Testing

/// PE headers, sections, data directories and debug entries against `llvm-readobj`'s output for
/// the images the corpus built with clang-cl and lld-link (x64, x86, ARM64, 8 KiB PDB pages, .sys).
@Suite("PE images against llvm-readobj")
struct PEImageReadobjTests {
  static let images = ["drv64.sys", "tiny32.dll", "tiny64.dll", "tiny64p8k.dll", "tinya64.dll"]

  /// `Key: value` lines in order, with the enclosing block names joined by `.`.
  static func fields(_ text: String) -> [(String, String)] {
    var stack: [String] = []
    var out: [(String, String)] = []
    for raw in text.split(whereSeparator: \.isNewline) {
      let line = raw.trimmingCharacters(in: .whitespaces)
      if let bracket = line.range(of: " [ ("), line.hasSuffix(")") {
        // A flag list: `Characteristics [ (0x8160)` opens a block and carries the value.
        let key = String(line[..<bracket.lowerBound])
        out.append(
          (
            (stack + [key]).joined(separator: "."),
            String(line[line.index(bracket.lowerBound, offsetBy: 3)...])
          ))
        stack.append(key)
      } else if line.hasSuffix("{") || line.hasSuffix("[") {
        stack.append(
          String(
            line.dropLast().trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? ""))
      } else if line == "}" || line == "]" {
        _ = stack.popLast()
      } else if let colon = line.range(of: ": ") {
        out.append(
          (
            (stack + [String(line[..<colon.lowerBound])]).joined(separator: "."),
            String(line[colon.upperBound...])
          ))
      }
    }
    return out
  }

  /// The hex value in parentheses at the end of `value`, or the value itself as a number.
  static func number(_ value: String) -> UInt64? {
    if let open = value.lastIndex(of: "("), value.hasSuffix(")") {
      let inner = value[value.index(after: open)..<value.index(before: value.endIndex)]
      if inner.hasPrefix("0x") { return UInt64(inner.dropFirst(2), radix: 16) }
    }
    if value.hasPrefix("0x") { return UInt64(value.dropFirst(2), radix: 16) }
    return UInt64(value)
  }

  @Test(
    "headers, data directories, sections and CodeView agree", .requires(.corpus), arguments: images)
  func image(name: String) throws {
    let root = try Requirement.corpus.resolve()
    let dir = "\(root)/pdb/generated-lld/out"
    let image = try PEImage(path: "\(dir)/\(name)")
    let stem = String(name.split(separator: ".")[0])
    let text = try String(contentsOfFile: "\(dir)/\(stem).readobj.txt", encoding: .utf8)
    let all = Self.fields(text)
    func value(_ key: String) -> UInt64? { all.first { $0.0 == key }.flatMap { Self.number($0.1) } }
    #expect(value("ImageFileHeader.Machine") == UInt64(image.machine))
    #expect(value("ImageFileHeader.SectionCount") == UInt64(image.sections.count))
    #expect(value("ImageFileHeader.TimeDateStamp") == UInt64(image.timeDateStamp))
    #expect(value("ImageOptionalHeader.Magic") == UInt64(image.magic))
    #expect(value("ImageOptionalHeader.AddressOfEntryPoint") == UInt64(image.addressOfEntryPoint))
    #expect(value("ImageOptionalHeader.ImageBase") == image.imageBase)
    #expect(value("ImageOptionalHeader.SectionAlignment") == UInt64(image.sectionAlignment))
    #expect(value("ImageOptionalHeader.FileAlignment") == UInt64(image.fileAlignment))
    #expect(value("ImageOptionalHeader.SizeOfImage") == UInt64(image.sizeOfImage))
    #expect(value("ImageOptionalHeader.SizeOfHeaders") == UInt64(image.sizeOfHeaders))
    #expect(value("ImageOptionalHeader.Subsystem") == UInt64(image.subsystem))
    #expect(value("ImageOptionalHeader.Characteristics") == UInt64(image.dllCharacteristics))
    let directories = all.filter { $0.0.hasPrefix("ImageOptionalHeader.DataDirectory.") }.compactMap
    { Self.number($0.1) }
    let ours = image.dataDirectories.flatMap { [UInt64($0.rva), UInt64($0.size)] }
    #expect(Array(directories.prefix(ours.count)) == ours)

    let sectionFields = all.filter { $0.0.hasPrefix("Sections.Section.") }
    let names = sectionFields.filter { $0.0.hasSuffix(".Name") }.map {
      String($0.1.split(separator: " ")[0])
    }
    #expect(names == image.sections.map(\.name))
    func column(_ key: String) -> [UInt64] {
      sectionFields.filter { $0.0 == "Sections.Section.\(key)" }.compactMap { Self.number($0.1) }
    }
    #expect(column("VirtualSize") == image.sections.map { UInt64($0.virtualSize) })
    #expect(column("VirtualAddress") == image.sections.map { UInt64($0.virtualAddress) })
    #expect(column("RawDataSize") == image.sections.map { UInt64($0.rawDataSize) })
    #expect(column("PointerToRawData") == image.sections.map { UInt64($0.pointerToRawData) })
    #expect(column("Characteristics") == image.sections.map { UInt64($0.characteristics) })

    let entries = try image.debugEntries()
    func debug(_ key: String) -> [String] {
      all.filter { $0.0 == "DebugDirectory.DebugEntry.\(key)" }.map(\.1)
    }
    #expect(debug("Type").compactMap(Self.number) == entries.map { UInt64($0.type) })
    #expect(debug("SizeOfData").compactMap(Self.number) == entries.map { UInt64($0.sizeOfData) })
    #expect(
      debug("AddressOfRawData").compactMap(Self.number)
        == entries.map { UInt64($0.addressOfRawData) })
    #expect(
      debug("PointerToRawData").compactMap(Self.number)
        == entries.map { UInt64($0.pointerToRawData) })
    guard case .pdb70(let guid, let age, let pdb) = try image.codeView() else {
      Issue.record("\(name) has no RSDS record")
      return
    }
    let guidBytes = debug("PDBInfo.PDBGUID").first?.trimmingCharacters(
      in: CharacterSet(charactersIn: "()")
    )
    .split(separator: " ").compactMap { UInt8($0, radix: 16) }
    var ourBytes: [UInt8] = []
    withUnsafeBytes(of: guid.data1.littleEndian) { ourBytes += $0 }
    withUnsafeBytes(of: guid.data2.littleEndian) { ourBytes += $0 }
    withUnsafeBytes(of: guid.data3.littleEndian) { ourBytes += $0 }
    ourBytes += guid.data4
    #expect(guidBytes == ourBytes)
    #expect(debug("PDBInfo.PDBAge").first.flatMap(Self.number) == UInt64(age))
    #expect(debug("PDBInfo.PDBFileName").first == pdb)
  }

  @Test("a PE laid out in memory (as in a dump) reads like the file", .requires(.corpus))
  func mappedLayout() throws {
    let root = try Requirement.corpus.resolve()
    let path = "\(root)/pdb/generated-lld/out/tiny64.dll"
    let fileImage = try PEImage(path: path)
    // Lay the sections out at their RVAs, as the loader does.
    let raw = [UInt8](try #require(FileManager.default.contents(atPath: path)))
    var memory = [UInt8](repeating: 0, count: Int(fileImage.sizeOfImage))
    memory.replaceSubrange(
      0..<Int(fileImage.sizeOfHeaders), with: raw[0..<Int(fileImage.sizeOfHeaders)])
    for section in fileImage.sections where section.rawDataSize > 0 {
      let count = Int(min(section.rawDataSize, section.virtualSize))
      memory.replaceSubrange(
        Int(section.virtualAddress)..<(Int(section.virtualAddress) + count),
        with: raw[Int(section.pointerToRawData)..<(Int(section.pointerToRawData) + count)])
    }
    let mapped = try PEImage(reader: MappedFile(copying: memory).reader, layout: .mapped)
    #expect(try mapped.codeView() == fileImage.codeView())
    #expect(try mapped.runtimeFunctions() == fileImage.runtimeFunctions())
    #expect(try mapped.exports().map(\.name) == fileImage.exports().map(\.name))
    #expect(mapped.codeIdentifier == fileImage.codeIdentifier)
  }

  @Test(
    "exports of tiny64.dll match llvm-pdbutil's public symbols for the exported names",
    .requires(.corpus))
  func exports() throws {
    let root = try Requirement.corpus.resolve()
    let image = try PEImage(path: "\(root)/pdb/generated-lld/out/tiny64.dll")
    let exports = try image.exports()
    #expect(!exports.isEmpty)
    #expect(exports.contains { $0.name == "exported_entry" })
    let pdbutil = try String(
      contentsOfFile: "\(root)/pdb/generated-lld/out/tiny64.pdbutil.txt", encoding: .utf8)
    for export in exports {
      guard let name = export.name else { continue }
      #expect(pdbutil.contains(name), "\(name) is not among the PDB's symbols")
    }
  }
}
