import ByteReader
import CrashsiftTestSupport
import Foundation
import PDB
import Testing

@testable import Symbols

/// Derived symbol tables kept on disk: the archive reproduces every table exactly, refuses damaged
/// bytes, and the store derives a table once and reads it back afterwards.
@Suite("Symbol table archive and store")
struct SymbolTableArchiveTests {
  /// Tables of every corpus PDB under 5 MB and every .sym file.
  static func corpusTables() throws -> [(String, SymbolTable)] {
    let root = try Requirement.corpus.resolve()
    var tables: [(String, SymbolTable)] = []
    let files = FileManager.default.enumerator(atPath: root)
    while let path = files?.nextObject() as? String {
      let full = "\(root)/\(path)"
      let size = (try? FileManager.default.attributesOfItem(atPath: full)[.size] as? Int) ?? 0
      guard size > 0, size < 5_000_000 else { continue }
      if path.lowercased().hasSuffix(".pdb"), let pdb = try? PDBFile(path: full),
        let table = try? PDBSymbolTable.read(pdb)
      {
        tables.append((path, table))
      } else if path.hasSuffix(".sym"), let table = try? BreakpadSymbolReader.read(path: full) {
        tables.append((path, table))
      }
    }
    return tables
  }

  @Test("every corpus table (PDBs and .sym files) reads back equal", .requires(.corpus))
  func roundTrip() throws {
    let tables = try Self.corpusTables()
    #expect(tables.count > 20)
    for (path, table) in tables {
      let bytes = SymbolTableArchive.encode(table)
      let back = try SymbolTableArchive.decode(MappedFile(copying: bytes).reader)
      #expect(back == table, "\(path)")
    }
  }

  @Test(
    "a table of functions only (no lines, publics or records) reads back: counts are checked against record sizes, not more"
  )
  func functionsOnly() throws {
    let functions = (0..<1000).map {
      SymbolTable.Function(
        rva: UInt32($0) * 16, size: 16, parameterSize: 0, name: "f\($0)", linesStart: 0,
        linesCount: 0)
    }
    let table = SymbolTable(
      source: .exports, functions: functions, lines: [], files: [], publics: [], stackRecords: [])
    let back = try SymbolTableArchive.decode(
      MappedFile(copying: SymbolTableArchive.encode(table)).reader)
    #expect(back == table)
  }

  @Test("truncated, damaged or foreign archives are errors, never a trap", .requires(.corpus))
  func hostile() throws {
    let (_, table) = try #require(try Self.corpusTables().first { $0.1.lines.count > 100 })
    let bytes = SymbolTableArchive.encode(table)
    for length in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 300)) {
      #expect(throws: ParseError.self) {
        try SymbolTableArchive.decode(MappedFile(copying: bytes[0..<length]).reader)
      }
    }
    // Random byte flips: an error or a table whose lookups stay in bounds.
    var state: UInt64 = 0x1234_5678_9ABC_DEF1
    for _ in 0..<500 {
      var damaged = bytes
      for _ in 0..<4 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        damaged[Int(state % UInt64(damaged.count))] ^= UInt8(truncatingIfNeeded: state >> 32) | 1
      }
      if let decoded = try? SymbolTableArchive.decode(MappedFile(copying: damaged).reader) {
        for function in decoded.functions.prefix(50) { _ = decoded.lookup(function.rva) }
      }
    }
    var foreign = bytes
    foreign[8] = 99  // another format version
    #expect(throws: ParseError.self) {
      try SymbolTableArchive.decode(MappedFile(copying: foreign).reader)
    }
    // A function whose line slice runs past the lines.
    var broken = table
    broken.functions[0].linesCount = broken.lines.count + 1
    #expect(throws: ParseError.self) {
      try SymbolTableArchive.decode(
        MappedFile(copying: SymbolTableArchive.encode(broken)).reader)
    }
  }

  @Test(
    "the store derives once, reads back after, and derives again when the file changes",
    .requires(.corpus))
  func store() throws {
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    let source = dir.file("tiny64.pdb")
    try FileManager.default.copyItem(
      atPath: "\(root)/pdb/generated-lld/out/tiny64.pdb", toPath: source)
    let store = DerivedTableStore(cache: dir.file("cache"))
    var derivations = 0
    func load() throws -> SymbolTable {
      try store.table(for: source) { () throws(ParseError) in
        derivations += 1
        return try PDBSymbolTable.read(try PDBFile(path: source))
      }
    }
    let first = try load()
    #expect(derivations == 1)
    let archive = try #require(store.archivePath(for: source))
    #expect(FileManager.default.fileExists(atPath: archive))
    let second = try load()
    #expect(derivations == 1)
    #expect(second == first)
    // A damaged archive is derived again and replaced.
    try Data("CSTAB garbage".utf8).write(to: URL(fileURLWithPath: archive))
    #expect(try load() == first)
    #expect(derivations == 2)
    #expect(try load() == first)
    #expect(derivations == 2)
    // A changed source file (new modification time) gets a new archive.
    try FileManager.default.setAttributes(
      [.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: source)
    #expect(store.archivePath(for: source) != archive)
    _ = try load()
    #expect(derivations == 3)
    // Pruning keeps the most recently used archives.
    let pruned = DerivedTableStore(cache: dir.file("pruned"))
    let folder = try #require(pruned.directory)
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for index in 0..<12 {
      let path = "\(folder)/t\(index).cstab"
      try Data([1]).write(to: URL(fileURLWithPath: path))
      try FileManager.default.setAttributes(
        [.modificationDate: Date(timeIntervalSinceNow: Double(index - 100))], ofItemAtPath: path)
    }
    pruned.prune(limit: 8)
    let left = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    #expect(left.count == 6)
    #expect(left.contains("t11.cstab") && !left.contains("t0.cstab"))
    // Without a cache folder nothing is kept.
    let none = DerivedTableStore(cache: nil)
    #expect(none.archivePath(for: source) == nil)
  }
}
