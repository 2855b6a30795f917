import ByteReader
import CrashsiftTestSupport
import Foundation
import PDB
import Testing

@testable import Symbols

/// Deriving a PDB's table gives the mapped file's pages back as it goes (`dropResidentPages`), so
/// a PDB of hundreds of MB is never resident whole. Pages given back are read again from the page
/// cache with the same bytes: tables derived dropping after every module equal tables derived
/// without dropping.
@Suite("PDB pages given back while deriving")
struct PDBResidentPagesTests {
  /// Corpus PDBs larger than `MappedFile.readLimit` (so mapped, not read) with module streams.
  static let mapped = [
    "pdb/breakpad/dump_syms_regtest64.pdb", "pdb/breakpad/omap_reorder_funcs.pdb",
    "pdb/breakpad/omap_stretched.pdb", "pdb/generated-lld/out/tiny64p8k.pdb",
    "minidump/symbolic/symbolic-testutils/fixtures/windows/CrashWithException.pdb",
  ]

  @Test(
    "a table derived dropping pages after every module equals one derived without",
    .requires(.corpus), arguments: mapped)
  func sameTable(relative: String) throws {
    let path = "\(try Requirement.corpus.resolve())/\(relative)"
    let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    #expect(size > MappedFile.readLimit)
    let kept = try PDBSymbolTable.read(
      PDBFile(path: path), keepingEmptyLines: false, dropPagesEvery: .max)
    let dropped = try PDBSymbolTable.read(
      PDBFile(path: path), keepingEmptyLines: false, dropPagesEvery: 0)
    #expect(!kept.functions.isEmpty)
    #expect(kept == dropped)
  }

  @Test("a mapped file reads the same bytes after its pages are given back; memory is untouched")
  func mappedFile() throws {
    let directory = TemporaryDirectory("crashsift-pages")
    let path = directory.file("big.bin")
    let bytes = (0..<(MappedFile.readLimit * 4)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let file = try MappedFile(path: path)
    #expect(Array(file.bytes) == bytes)
    file.dropResidentPages()
    #expect(Array(file.bytes) == bytes)
    let memory = MappedFile(copying: bytes)
    memory.dropResidentPages()
    #expect(Array(memory.bytes) == bytes)
  }
}
