import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

@Suite("symbolize stage")
struct SymbolizeStageTests {
  /// `symbolized_frames` frame 0 and the stage status of the only dump.
  static func frame(_ workspace: String) throws -> (Row?, String?) {
    let queue = try DatabaseQueue(path: "\(workspace)/crashsift.sqlite")
    return try queue.read { db in
      (
        try Row.fetchOne(db, sql: "SELECT * FROM symbolized_frames WHERE frame = 0"),
        try String.fetchOne(db, sql: "SELECT status FROM stage_state WHERE stage = 'symbolize'")
      )
    }
  }

  @Test(
    "a dump without symbols is deferred with module+offset; adding the .sym lets the next run name it"
  )
  func deferredThenDone() throws {
    guard let root = Corpus.root else {
      #expect(!Tools.isCI, "the fixture corpus is required on CI")
      return
    }
    let dir = TemporaryDirectory()
    let testdata = "\(root)/minidump/breakpad/src/processor/testdata"
    let dump = try Data(contentsOf: URL(fileURLWithPath: "\(testdata)/minidump2.dmp"))
    try ArchiveFixture.write(
      [.file("upload/minidump2.dmp", [UInt8](dump))], format: .zip, to: dir.file("night/a.zip"))
    let symbols = dir.file("symbols")
    try FileManager.default.createDirectory(atPath: symbols, withIntermediateDirectories: true)
    let manifest = dir.file("manifest.json")
    let json = """
      {"version": 1, "symbol_path": ["\(symbols)"],
       "batches": [{"id": "n0", "date": "2026-11-20", "archives": ["night/*"]}]}
      """
    _ = FileManager.default.createFile(atPath: manifest, contents: Data(json.utf8))
    let workspace = dir.file("out")
    let arguments = ["run", "--manifest", manifest, "--workspace", workspace, "--quiet"]

    #expect(try CrashsiftBinary.run(arguments).status == 0)
    var (row, status) = try Self.frame(workspace)
    #expect(status == "deferred")
    #expect(row?["module"] == "test_app.exe")
    #expect(row?["module_offset"] == 0x429E)
    #expect(row?["function"] as String? == nil)
    #expect(
      (row?["missing"] as String?)?.contains("no test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1")
        == true)

    let key = "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1"
    try FileManager.default.createDirectory(
      atPath: "\(symbols)/\(key)", withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: "\(testdata)/symbols/\(key)/test_app.sym", toPath: "\(symbols)/\(key)/test_app.sym")
    // No flag needed: deferred symbolization is retried by every run.
    #expect(try CrashsiftBinary.run(arguments).status == 0)
    (row, status) = try Self.frame(workspace)
    #expect(status == "done")
    #expect(row?["function"] == "`anonymous namespace'::CrashFunction")
    #expect(row?["function_offset"] == 0xE)
    #expect(row?["file"] == "c:\\test_app.cc")
    #expect(row?["line"] == 58)
    #expect(row?["missing"] as String? == nil)
  }
}
