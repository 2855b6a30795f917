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

  /// Looks `table` up, from its arrays and from its archive opened mapped, at every edge a
  /// lookup can fall on (starts, insides, last bytes and ends of functions, lines, inline ranges
  /// and publics) and at pseudo-random addresses; records the first difference. Returns how many
  /// addresses were compared.
  static func compareLookups(_ table: SymbolTable, _ label: String) throws -> Int {
    let opened = try SymbolTableArchive.open(
      MappedFile(copying: SymbolTableArchive.encode(table)).reader)
    #expect(opened.mapped != nil && opened.functions.isEmpty, "\(label)")
    #expect(opened.materialized == table, "\(label)")
    #expect(opened.functionCount == table.functions.count, "\(label)")
    #expect(opened.publicCount == table.publics.count, "\(label)")
    #expect(opened.stackRecords == table.stackRecords, "\(label)")
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
          "\(label) +0x\(String(rva, radix: 16)): \(String(describing: got)) != \(String(describing: want))"
        )
        break
      }
    }
    return addresses.count
  }

  /// A table with every kind of record: functions with lines and nested inline ranges, files
  /// (one id past the list), publics between and inside functions, STACK records.
  static func syntheticTable() -> SymbolTable {
    var functions: [SymbolTable.Function] = []
    var lines: [SymbolTable.Line] = []
    var inlines: [SymbolTable.Inline] = []
    for index in 0..<200 {
      let rva = UInt32(0x1000 + index * 0x100)
      var function = SymbolTable.Function(
        rva: rva, size: 0xC0, parameterSize: UInt32(index % 3) * 4,
        name: "ns::function_\(index)<int>(char const *)", linesStart: lines.count, linesCount: 0)
      for line in 0..<6 {
        lines.append(
          SymbolTable.Line(
            rva: rva + UInt32(line) * 0x20, size: line == 5 ? 0 : 0x20,
            line: UInt32(10 + line), file: (index + line) % 5))
      }
      function.linesCount = 6
      function.inlinesStart = inlines.count
      for depth in stride(from: UInt32(1), through: UInt32(index % 4), by: 1) {
        inlines.append(
          SymbolTable.Inline(
            rva: rva + 0x10 * depth, size: 0x40 / depth, depth: depth, line: 100 + depth,
            file: UInt32(index % 5), nameIndex: (depth + UInt32(index)) % 4))
      }
      function.inlinesCount = inlines.count - function.inlinesStart
      function.inlinesMaxSize = function.inlinesCount > 0 ? 0x40 : 0
      functions.append(function)
    }
    var publics: [SymbolTable.Public] = []
    for index in 0..<50 {
      let offset: Int = index % 2 == 0 ? 0xE0 : 0x10
      let rva = UInt32(0x1000 + index * 0x400 + offset)
      publics.append(
        SymbolTable.Public(
          rva: rva, parameterSize: 8, name: "?public_\(index)@@YAXXZ", isCode: index % 7 != 0))
    }
    var table = SymbolTable(
      source: .pdb, functions: functions, lines: lines,
      files: ["c:\\src\\a.cpp", "", "c:\\src\\b.h", "d:\\ünïcode\\c.cpp", "e.cpp"],
      publics: publics,
      stackRecords: ["STACK CFI INIT 1000 10 .cfa: $rsp 8 +", "STACK WIN 4 1000 10"])
    table.inlines = inlines
    table.inlineNames = ["inl_a", "inl_b<long>", "", "inl_d"]
    table.debugID = "0123456789ABCDEF0123456789ABCDEF1"
    table.debugFile = "synthetic.pdb"
    return table
  }

  @Test(
    "a table with every kind of record answers each address from its mapped archive as from its arrays"
  )
  func mappedSyntheticLookups() throws {
    #expect(try Self.compareLookups(Self.syntheticTable(), "synthetic") > 3000)
  }

  @Test(
    "every corpus table answers each address from its mapped archive exactly as from its arrays",
    .requires(.corpus))
  func mappedLookups() throws {
    let tables = try Self.corpusTables()
    #expect(tables.count > 20)
    var probes = 0
    for (path, table) in tables { probes += try Self.compareLookups(table, path) }
    #expect(probes > 100_000)
  }

  @Test("four threads meeting the same large symbol file derive it once, one at a time")
  func gate() throws {
    let dir = TemporaryDirectory()
    // A source over the gate's size: its table is a synthetic one, its bytes do not matter.
    let source = dir.file("large.pdb")
    #expect(FileManager.default.createFile(atPath: source, contents: nil))
    let handle = try #require(FileHandle(forWritingAtPath: source))
    try handle.truncate(atOffset: UInt64(DerivationGate.largeSourceBytes))
    try handle.close()
    let table = Self.syntheticTable()
    let store = DerivedTableStore(cache: dir.file("cache"))
    let counts = Mutex((running: 0, most: 0, derivations: 0))
    let results = Mutex<[SymbolTable]>([])
    // Threads of their own, started together: they overlap even on one core.
    let group = DispatchGroup()
    let start = DispatchSemaphore(value: 0)
    for _ in 0..<4 {
      group.enter()
      Thread {
        start.wait()
        let found = try? store.table(for: source) { () throws(ParseError) in
          counts.withLock {
            $0.running += 1
            $0.derivations += 1
            $0.most = max($0.most, $0.running)
          }
          Thread.sleep(forTimeInterval: 0.3)
          counts.withLock { $0.running -= 1 }
          return table
        }
        if let found { results.withLock { $0.append(found) } }
        group.leave()
      }.start()
    }
    for _ in 0..<4 { start.signal() }
    group.wait()
    let final = counts.withLock { $0 }
    #expect(final.most == 1)
    #expect(final.derivations == 1)
    let found = results.withLock { $0 }
    #expect(found.count == 4)
    #expect(found.allSatisfy { $0.mapped != nil && $0.materialized == table })
  }

  @Test("a derivation waits for the lock only so long, then goes on without it")
  func gateGivesUp() throws {
    let dir = TemporaryDirectory()
    let lock = dir.file("derive.lock")
    let holder = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC, 0o644)
    #expect(holder >= 0)
    defer { close(holder) }
    #expect(flock(holder, LOCK_EX) == 0)
    let clock = ContinuousClock()
    let began = clock.now
    let ran = try DerivationGate.holding(lock, wait: .milliseconds(200)) { () throws(ParseError) in
      true
    }
    #expect(ran)
    #expect(clock.now - began >= .milliseconds(200))
  }

  @Test(
    "archives a lookup cannot trust are refused on open: string ids out of range, strings too long")
  func craftedArchives() throws {
    let table = Self.syntheticTable()
    let bytes = SymbolTableArchive.encode(table)
    // Format 4: magic, version, string count, end offsets, byte count, bytes, source, five
    // header ids, function count, then 36-byte functions whose name id is at +12.
    let reader = MappedFile(copying: bytes).reader
    let strings = Int(try reader.u32(at: 12))
    let stringBytes = Int(try reader.u32(at: 16 + 4 * strings))
    let functionsAt = 16 + 4 * strings + 4 + stringBytes + 4 + 20 + 4
    var badName = bytes
    badName.replaceSubrange(
      (functionsAt + 12)..<(functionsAt + 16), with: [0xFF, 0xFF, 0, 0])
    #expect(throws: ParseError.self) {
      try SymbolTableArchive.open(MappedFile(copying: badName).reader)
    }
    // The name of no function may exceed what one lookup is allowed to decode.
    var long = table
    long.functions[3].name = String(
      repeating: "x", count: Int(MappedSymbolTable.maxStringBytes) + 1)
    #expect(throws: ParseError.self) {
      try SymbolTableArchive.open(MappedFile(copying: SymbolTableArchive.encode(long)).reader)
    }
    // Thousands of inline ranges covering one address (a damaged table): a lookup names at most
    // 64 of them, from the archive as from the arrays.
    var deep = table
    let first = deep.functions[0]
    deep.inlines = (0..<5000).map {
      SymbolTable.Inline(
        rva: first.rva, size: first.size, depth: UInt32($0), line: 1, file: 0, nameIndex: 0)
    }
    for index in deep.functions.indices {
      deep.functions[index].inlinesStart = 0
      deep.functions[index].inlinesCount = index == 0 ? 5000 : 0
    }
    deep.functions[0].inlinesMaxSize = .max
    let opened = try SymbolTableArchive.open(
      MappedFile(copying: SymbolTableArchive.encode(deep)).reader)
    #expect(opened.lookup(first.rva + 4)?.inlines.count == 64)
    #expect(deep.lookup(first.rva + 4)?.inlines.count == 64)
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
    // A function whose line slice runs past the lines; functions or publics out of address
    // order (a binary search would answer wrongly).
    var broken = table
    broken.functions[0].linesCount = broken.lines.count + 1
    var unsortedFunctions = table
    unsortedFunctions.functions.reverse()
    var unsortedPublics = table
    unsortedPublics.publics.reverse()
    for (label, damaged) in [
      ("line slice", broken), ("functions", unsortedFunctions), ("publics", unsortedPublics),
    ] where damaged != table {
      #expect(throws: ParseError.self, "\(label)") {
        try SymbolTableArchive.open(
          MappedFile(copying: SymbolTableArchive.encode(damaged)).reader)
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
    // Archives of the same source by an older and a newer archive version: the older one goes
    // when this version writes its own, the newer one stays.
    let archive = try #require(store.archivePath(for: source))
    let current = "-v\(SymbolTableArchive.version).cstab"
    let older =
      String(archive.dropLast(current.count)) + "-v\(SymbolTableArchive.version - 1).cstab"
    let newer =
      String(archive.dropLast(current.count)) + "-v\(SymbolTableArchive.version + 1).cstab"
    try FileManager.default.createDirectory(
      atPath: try #require(store.directory), withIntermediateDirectories: true)
    for path in [older, newer] { try Data([1]).write(to: URL(fileURLWithPath: path)) }
    let first = try load()
    #expect(derivations == 1)
    #expect(FileManager.default.fileExists(atPath: archive))
    #expect(!FileManager.default.fileExists(atPath: older))
    #expect(FileManager.default.fileExists(atPath: newer))
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
