import ByteReader
import CrashsiftTestSupport
import Foundation
import PDB
import Synchronization
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
    "every corpus table answers each address from its mapped archive exactly as from its arrays",
    .requires(.corpus))
  func mappedLookups() throws {
    let tables = try Self.corpusTables()
    #expect(tables.count > 20)
    var probes = 0
    for (path, table) in tables {
      let opened = try SymbolTableArchive.open(
        MappedFile(copying: SymbolTableArchive.encode(table)).reader)
      #expect(opened.mapped != nil && opened.functions.isEmpty, "\(path)")
      #expect(opened.materialized == table, "\(path)")
      #expect(opened.functionCount == table.functions.count, "\(path)")
      #expect(opened.publicCount == table.publics.count, "\(path)")
      #expect(opened.stackRecords == table.stackRecords, "\(path)")
      // Every edge a lookup can fall on: starts, insides, last bytes and ends of functions,
      // lines, inline ranges and publics, then pseudo-random addresses.
      var addresses: Set<UInt32> = [0, 1, .max]
      func edges(_ rva: UInt32, _ size: UInt32) {
        for value in [rva, rva &+ size / 2, rva &+ size &- 1, rva &+ size, rva &- 1] {
          addresses.insert(value)
        }
      }
      for function in table.functions { edges(function.rva, function.size) }
      for line in table.lines { edges(line.rva, line.size) }
      for range in table.inlines { edges(range.rva, range.size) }
      for symbol in table.publics { edges(symbol.rva, 16) }
      var state: UInt64 = 0x9E37_79B9_7F4A_7C15
      let span = (table.functions.last.map { $0.rva &+ $0.size } ?? 0x10000) | 0xFFF
      for _ in 0..<2000 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        addresses.insert(UInt32(truncatingIfNeeded: state % UInt64(span)))
      }
      for rva in addresses {
        let want = table.lookup(rva)
        let got = opened.lookup(rva)
        if got != want {
          Issue.record(
            "\(path) +0x\(String(rva, radix: 16)): \(String(describing: got)) != \(String(describing: want))"
          )
          break
        }
      }
      probes += addresses.count
    }
    #expect(probes > 100_000)
  }

  @Test(
    "two threads meeting the same large symbol file derive it once, one at a time",
    .requires(.corpus))
  func gate() throws {
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    // A source over the gate's size: its table is the corpus PDB's, its bytes do not matter.
    let source = dir.file("large.pdb")
    #expect(FileManager.default.createFile(atPath: source, contents: nil))
    let handle = try #require(FileHandle(forWritingAtPath: source))
    try handle.truncate(atOffset: UInt64(DerivationGate.largeSourceBytes))
    try handle.close()
    let table = try PDBSymbolTable.read(
      try PDBFile(path: "\(root)/pdb/generated-lld/out/tiny64.pdb"))
    let store = DerivedTableStore(cache: dir.file("cache"))
    let counts = Mutex((running: 0, most: 0, derivations: 0))
    let results = Mutex<[SymbolTable]>([])
    DispatchQueue.concurrentPerform(iterations: 4) { _ in
      let found = try? store.table(for: source) { () throws(ParseError) in
        counts.withLock {
          $0.running += 1
          $0.derivations += 1
          $0.most = max($0.most, $0.running)
        }
        Thread.sleep(forTimeInterval: 0.2)
        counts.withLock { $0.running -= 1 }
        return table
      }
      if let found { results.withLock { $0.append(found) } }
    }
    let final = counts.withLock { $0 }
    #expect(final.most == 1)
    #expect(final.derivations == 1)
    let found = results.withLock { $0 }
    #expect(found.count == 4)
    #expect(found.allSatisfy { $0.mapped != nil && $0.materialized == table })
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
      #expect(throws: ParseError.self) {
        try SymbolTableArchive.open(MappedFile(copying: bytes[0..<length]).reader)
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
      // The mapped form reads the damaged bytes at every lookup: each must stay in bounds.
      if let opened = try? SymbolTableArchive.open(MappedFile(copying: damaged).reader) {
        for function in table.functions.prefix(200) {
          _ = opened.lookup(function.rva)
          _ = opened.lookup(function.rva &+ function.size / 2)
        }
        for line in table.lines.prefix(200) { _ = opened.lookup(line.rva) }
        _ = opened.materialized
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
      try SymbolTableArchive.open(
        MappedFile(copying: SymbolTableArchive.encode(broken)).reader)
    }
    // Functions or publics out of address order (a binary search would answer wrongly).
    if table.functions.count > 1 {
      var unsorted = table
      unsorted.functions.swapAt(0, unsorted.functions.count - 1)
      #expect(throws: ParseError.self) {
        try SymbolTableArchive.open(
          MappedFile(copying: SymbolTableArchive.encode(unsorted)).reader)
      }
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
    // What the store hands out answers from the archive it just wrote.
    #expect(first.mapped != nil && first.functions.isEmpty && first.functionCount > 0)
    let derived = try PDBSymbolTable.read(try PDBFile(path: source))
    #expect(first.materialized == derived)
    let second = try load()
    #expect(derivations == 1)
    #expect(second.materialized == derived)
    // A damaged archive is derived again and replaced.
    try Data("CSTAB garbage".utf8).write(to: URL(fileURLWithPath: archive))
    #expect(try load().materialized == derived)
    #expect(derivations == 2)
    #expect(try load().materialized == derived)
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
