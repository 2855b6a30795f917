import CrashsiftTestSupport
import Foundation
import PDB
import PEImage
import Symbols
import Testing

/// The committed sample images are sound: llvm-symbolizer, reading each image with its PDB, names
/// every .text address as our PDB reader does.
@Suite("sample images")
struct SampleImageTests {
  static let images = [
    "ntkrnlmp/ntkrnlmp.exe", "crashdrv-1/crashdrv.sys", "crashdrv-2/crashdrv.sys",
    "netfilt/netfilt.sys", "diskmon/diskmon.sys", "user/contoso-app.exe", "user/kernel32.dll",
    "user/ntdll.dll",
  ]

  // symbolize.sh checks each image's PDB with the llvm-14 tools before symbolizing.
  @Test(
    "llvm-symbolizer agrees with our PDB tables on every .text byte",
    .requires(.oracleScript("symbolize.sh"), .tool("llvm-readobj-14"), .tool("llvm-pdbutil-14")),
    arguments: images)
  func symbolizer(image relative: String) throws {
    let path = "\(Corpus.packageRoot)/samples/images/\(relative)"
    let script = try Requirement.oracleScript("symbolize.sh").resolve()
    try Requirement.tool("llvm-readobj-14").resolve()
    try Requirement.tool("llvm-pdbutil-14").resolve()
    let image = try PEImage(path: path)
    let pdbName = try #require(try image.codeView()?.pdbFileName)
    let pdb = (path as NSString).deletingLastPathComponent + "/" + pdbName
    let table = try PDBSymbolTable.read(try PDBFile(path: pdb))
    let text = try #require(image.sections.first { $0.name == ".text" })
    let rvas = stride(from: text.virtualAddress, to: text.virtualAddress + text.virtualSize, by: 1)
      .map { "0x" + String($0, radix: 16) }
    let output = try Tools.output("/bin/bash", [script, path] + rvas)
    let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
    #expect(lines.count == rvas.count)
    var compared = 0
    for (rva, line) in zip(rvas, lines) {
      let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      let frames = object?["Symbol"] as? [[String: Any]] ?? []
      guard let outer = frames.last, let name = outer["FunctionName"] as? String, !name.isEmpty
      else {
        continue
      }
      let ours = table.lookup(UInt32(rva.dropFirst(2), radix: 16) ?? 0)
      #expect(ours?.name == name, "\(relative) \(rva)")
      // At a function's first byte clang emits a zero-length record for the opening line before
      // the first statement's; llvm-symbolizer answers with the first, we (like dump_syms) drop
      // zero-length records (reference/pdb-and-symbols.md), so starts are compared by name only.
      if let line = outer["Line"] as? Int, line > 0, let ours, !ours.isPublic,
        ours.symbolRVA != UInt32(rva.dropFirst(2), radix: 16)
      {
        #expect(ours.line.map(Int.init) == line, "\(relative) \(rva) line")
      }
      compared += 1
    }
    #expect(compared > 10)
  }
}
