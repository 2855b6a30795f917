import CrashsiftTestSupport
import Foundation
import PDB
import PEImage
import Testing

@testable import Symbols

/// `.sym` export from PDBs, against the .sym files breakpad's DIA-based `dump_syms` wrote for the
/// same PDBs (corpus/pdb/breakpad, exact upstream fixtures) and against our own PDB reading.
@Suite("Breakpad .sym export")
struct SymbolExportTests {
  static func lines(_ text: String, _ prefixes: [String]) -> [String] {
    text.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
      .filter { line in prefixes.contains { line.hasPrefix($0) } }
  }

  /// `FUNC rva → [(rva, size, line, file name)]` for line records with a size (breakpad's DIA
  /// output also has zero-length ones, which we do not write: reference/pdb-and-symbols.md §9.1).
  static func lineRecords(_ table: SymbolTable) -> [UInt32: [String]] {
    var result: [UInt32: [String]] = [:]
    for function in table.functions {
      result[function.rva] = table.lines[
        function.linesStart..<(function.linesStart + function.linesCount)
      ].filter { $0.size > 0 }.map {
        "\(String($0.rva, radix: 16)) \(String($0.size, radix: 16)) \($0.line) \(table.files[$0.file])"
      }
    }
    return result
  }

  @Test(
    "the exported .sym equals the one breakpad's DIA dump_syms wrote, line for line",
    .requires(.corpus),
    arguments: [
      ("dump_syms_regtest64", true), ("dump_syms_regtest", false), ("omap_reorder_funcs", false),
      ("omap_reorder_bbs", false), ("omap_stretched", false), ("omap_stretched_filled", false),
    ])
  func conformance(name: String, withImage: Bool) throws {
    let root = try Requirement.corpus.resolve()
    let dir = "\(root)/pdb/breakpad"
    let image = withImage ? try PEImage(path: "\(dir)/\(name).exe") : nil
    let ours = try BreakpadSymbolWriter.export(
      pdb: try PDBFile(path: "\(dir)/\(name).pdb"), pdbName: "\(name).pdb", image: image,
      imageName: withImage ? "\(name).exe" : nil)
    // Breakpad's files have CRLF line ends (written in Windows text mode; PROVENANCE.md); ours LF.
    let theirs = try String(contentsOfFile: "\(dir)/\(name).sym", encoding: .utf8)
      .replacingOccurrences(of: "\r\n", with: "\n")
    let mine = ours.split(separator: "\n", omittingEmptySubsequences: false)
    let expected = theirs.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(expected.count > 2900)
    #expect(mine.count == expected.count)
    for (index, pair) in zip(mine, expected).enumerated() where pair.0 != pair.1 {
      Issue.record("line \(index + 1): ours \(pair.0)\n  theirs \(pair.1)")
      break
    }
    #expect(ours == theirs)
    // And it reads back to the same table breakpad's file gives.
    let ourTable = try BreakpadSymbolReader.read(text: ours)
    let theirTable = try BreakpadSymbolReader.read(text: theirs)
    #expect(Self.lineRecords(ourTable) == Self.lineRecords(theirTable))
    #expect(ourTable.stackRecords == theirTable.stackRecords)
  }

  @Test(
    "an image without its PDB: the export command writes breakpad's PE-only .sym",
    .requires(.corpus))
  func peOnly() throws {
    let root = try Requirement.corpus.resolve()
    let dll = "\(root)/pdb/breakpad/pe_only_symbol_test.dll"
    let result = try CrashsiftBinary.run(["symbols", "export", "--pe", dll])
    #expect(result.status == 0, "\(result.stderr)")
    let expected = try String(
      contentsOfFile: "\(root)/pdb/breakpad/pe_only_symbol_test.sym", encoding: .utf8)
    #expect(result.stdout == expected.replacingOccurrences(of: "\r", with: ""))
  }

  @Test(
    "lld PDBs: the exported .sym answers every line address as the PDB does",
    .requires(.corpus), arguments: ["tiny64", "tiny32", "tinya64", "drv64"])
  func roundTrip(name: String) throws {
    let root = try Requirement.corpus.resolve()
    let dir = "\(root)/pdb/generated-lld/out"
    let pdb = try PDBFile(path: "\(dir)/\(name).pdb")
    let table = try PDBSymbolTable.read(pdb)
    let exported = try BreakpadSymbolReader.read(
      text: try BreakpadSymbolWriter.export(pdb: pdb, pdbName: "\(name).pdb"))
    #expect(exported.debugID == table.debugID)
    #expect(exported.functions.map(\.rva) == table.functions.map(\.rva))
    #expect(exported.functions.map(\.size) == table.functions.map(\.size))
    var checked = 0
    for line in table.lines {
      let a = table.lookup(line.rva)
      let b = exported.lookup(line.rva)
      #expect(a?.line == b?.line && a?.file == b?.file, "\(name) 0x\(String(line.rva, radix: 16))")
      #expect(a?.symbolRVA == b?.symbolRVA)
      checked += 1
    }
    #expect(checked > 5)
  }
}
