import ByteReader
import CrashsiftTestSupport
import Foundation
import Testing

@testable import PDB
@testable import Symbols

/// What makes a big PDB's table cheaper to derive and hold (issue 20) keeps its content: only
/// the inlined inlinees are named, and named as when every LF_FUNC_ID is; streams are assembled
/// straight into their reader; the records a big PDB has millions of keep their compact sizes.
@Suite("PDB derivation memory")
struct PDBDerivationMemoryTests {
  /// Every corpus PDB that opens.
  static func corpusPDBs() throws -> [(String, PDBFile)] {
    let root = try Requirement.corpus.resolve()
    var pdbs: [(String, PDBFile)] = []
    let files = FileManager.default.enumerator(atPath: root)
    while let path = files?.nextObject() as? String {
      guard path.lowercased().hasSuffix(".pdb"), let pdb = try? PDBFile(path: "\(root)/\(path)")
      else { continue }
      pdbs.append((path, pdb))
    }
    return pdbs
  }

  @Test(
    "naming only the inlinees inline sites use gives the names naming every one gives",
    .requires(.corpus))
  func inlineeSubset() throws {
    var sites = 0
    for (path, pdb) in try Self.corpusPDBs() {
      let names = try pdb.namesTable()
      var ids = Set<UInt32>()
      for module in try pdb.modules() {
        guard let stream = try pdb.moduleStream(module, names: names) else { continue }
        try pdb.inlineeIDs(in: stream, into: &ids)
        sites += try pdb.inlineSites(in: stream, inlinees: [:]).count
      }
      let sorted = ids.sorted()
      let all = try pdb.inlineeNames()
      #expect(try pdb.inlineeNames(sorted) == sorted.map { all[$0] ?? "" }, "\(path)")
      // Every site's inlinee is among the ids collected.
      for module in try pdb.modules() {
        guard let stream = try pdb.moduleStream(module, names: names) else { continue }
        for site in try pdb.inlineSites(in: stream, inlinees: all) {
          #expect(ids.contains(site.inlinee), "\(path)")
          #expect(site.name == all[site.inlinee] ?? "", "\(path)")
        }
      }
    }
    // The corpus has real inline sites (symbolic's crash.pdb, the lld-built drivers).
    #expect(sites > 0)
  }

  @Test(
    "every stream of every corpus PDB reads as its blocks laid end to end, scattered or not",
    .requires(.corpus))
  func streamsAssembled() throws {
    var scattered = 0
    for (path, pdb) in try Self.corpusPDBs() {
      let msf = pdb.msf
      for index in msf.streamSizes.indices {
        guard let size = msf.streamSizes[index], let stream = try msf.stream(index) else {
          continue
        }
        let blocks = msf.streamBlocks[index]
        if zip(blocks, blocks.dropFirst()).contains(where: { $1 != $0 + 1 }) { scattered += 1 }
        var expected: [UInt8] = []
        for block in blocks where expected.count < size {
          let take = min(msf.blockSize, size - expected.count)
          expected += try msf.file.reader.array(
            at: Int(block) * msf.blockSize, count: take, "block")
        }
        #expect(stream.count == size, "\(path) stream \(index)")
        #expect(try stream.array(at: 0, count: size, "stream") == expected, "\(path) \(index)")
      }
    }
    // The copying path is exercised: MSVC-linked PDBs scatter their streams.
    #expect(scattered > 0)
  }

  @Test("the records big tables hold millions of keep their compact sizes")
  func recordSizes() {
    #expect(MemoryLayout<SymbolTable.Line>.stride == 16)
    #expect(MemoryLayout<SymbolTable.Inline>.stride == 24)
    #expect(MemoryLayout<SymbolTable.Function>.stride == 48)
  }

  @Test(
    "every inline range of every derived corpus table names an inline name: one of the PDB's inlinees, or none",
    .requires(.corpus))
  func derivedInlineNames() throws {
    var ranges = 0
    for (path, pdb) in try Self.corpusPDBs() {
      guard let table = try? PDBSymbolTable.read(pdb) else { continue }
      let inlinees = Set(try pdb.inlineeNames().values)
      for range in table.inlines {
        #expect(Int(range.nameIndex) < table.inlineNames.count, "\(path)")
        guard Int(range.nameIndex) < table.inlineNames.count else { continue }
        // "" where the site's inlinee is no LF_FUNC_ID / LF_MFUNC_ID (as before: no name).
        let name = table.inlineNames[Int(range.nameIndex)]
        #expect(name.isEmpty || inlinees.contains(name), "\(path): \(name)")
        ranges += 1
      }
    }
    #expect(ranges > 0)
  }

  @Test(
    "slices are held in 32 bits: values past them are clamped, never a trap; in range they read back"
  )
  func functionSlices() {
    var function = SymbolTable.Function(
      rva: 0x1000, size: 0x10, parameterSize: 0, name: "f", linesStart: 7, linesCount: 3)
    #expect(function.linesStart == 7 && function.linesCount == 3)
    function.inlinesStart = 1 << 40
    function.inlinesCount = -1
    #expect(function.inlinesStart == Int(UInt32.max) && function.inlinesCount == 0)
  }
}
