import ByteReader
import CrashsiftTestSupport
import Foundation
import Synchronization
import Testing

@testable import Symbols

/// The per-process table cache is bounded (least recently used tables dropped past its byte
/// limit, read back when asked again) and builds each table once even when threads ask together.
@Suite("symbol table cache bounds")
struct SymbolTableCacheBoundTests {
  /// A Breakpad tree with `count` modules, each with `functions` functions.
  static func tree(_ count: Int, functions: Int) throws -> TemporaryDirectory {
    let directory = TemporaryDirectory("crashsift-cache-bound")
    for module in 0..<count {
      let id = String(format: "%032X1", module + 1)
      var text = "MODULE windows x86_64 \(id) m\(module).pdb\nFILE 0 m\(module).cpp\n"
      for function in 0..<functions {
        text += String(
          format: "FUNC %x 10 0 module%d_function_with_a_long_name_%d\n", 0x1000 + function * 16,
          module, function)
        text += String(format: "%x 10 %d 0\n", 0x1000 + function * 16, function + 1)
      }
      let folder = directory.file("m\(module).pdb/\(id)")
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
      try text.write(toFile: "\(folder)/m\(module).sym", atomically: true, encoding: .utf8)
    }
    return directory
  }

  @Test("past its byte limit the least recently used tables go; asked again, they come back equal")
  func bounded() throws {
    let store = try Self.tree(3, functions: 200)
    let one = try #require(
      try? BreakpadSymbolReader.read(
        path: store.file("m0.pdb/\(String(format: "%032X1", 1))/m0.sym")))
    // Room for two tables of this size, not three.
    let cache = SymbolTableCache(
      path: SymbolPath(parsing: store.path, defaultCache: nil),
      tableBytes: one.estimatedBytes * 2 + one.estimatedBytes / 2)
    func lookup(_ module: Int) throws -> SymbolTable {
      try cache.table(debugFile: "m\(module).pdb", debugID: String(format: "%032X1", module + 1))
        .get()
    }
    let first = try lookup(0)
    _ = try lookup(1)
    _ = try lookup(0)  // 0 is now more recent than 1
    _ = try lookup(2)
    #expect(
      cache.heldTables == [
        "m0.pdb/\(String(format: "%032X1", 1))", "m2.pdb/\(String(format: "%032X1", 3))",
      ])
    #expect(try lookup(1).functions.count == 200)
    #expect(cache.heldTables.count == 2)
    #expect(try lookup(0) == first)
    #expect(first.lookup(0x1010)?.name == "module0_function_with_a_long_name_1")
  }

  @Test(
    "threads asking together for one table build it once; a table larger than the limit is kept")
  func oneBuild() {
    let slots = SymbolTableSlots(limit: 1)
    let builds = Mutex(0)
    let table = SymbolTable(
      source: .breakpad, functions: [], lines: [], files: [], publics: [], stackRecords: [])
    let answers = Mutex<[Result<SymbolTable, ParseError>]>([])
    DispatchQueue.concurrentPerform(iterations: 8) { _ in
      let answer = slots.table("big") {
        builds.withLock { $0 += 1 }
        usleep(50_000)
        return .success(table)
      }
      answers.withLock { $0.append(answer) }
    }
    #expect(builds.withLock { $0 } == 1)
    #expect(answers.withLock { $0.count } == 8)
    #expect(slots.keys == ["big"])
  }
}
