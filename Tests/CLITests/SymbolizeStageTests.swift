import CrashsiftTestSupport
import Foundation
import GRDB
import Testing

@Suite("symbolize stage")
struct SymbolizeStageTests {
  /// An empty symbol folder `symbols` or `store`, a manifest reading `night/*` with
  /// `symbolPath`, and the `run` arguments for its workspace.
  static func setUp(_ dir: TemporaryDirectory, symbolPath: String) throws -> ([String], String) {
    for name in ["symbols", "store"] {
      try FileManager.default.createDirectory(
        atPath: dir.file(name), withIntermediateDirectories: true)
    }
    let manifest = dir.file("manifest.json")
    let json = """
      {"version": 1, "symbol_path": ["\(symbolPath)"],
       "batches": [{"id": "n0", "date": "2026-11-20", "archives": ["night/*"]}]}
      """
    _ = FileManager.default.createFile(atPath: manifest, contents: Data(json.utf8))
    let workspace = dir.file("out")
    return (["run", "--manifest", manifest, "--workspace", workspace, "--quiet"], workspace)
  }

  /// breakpad's minidump2.dmp zipped into `night/a.zip`; returns the corpus test-data folder.
  static func minidump2Night(_ dir: TemporaryDirectory) throws -> String {
    let root = try Requirement.corpus.resolve()
    let testdata = "\(root)/minidump/breakpad/src/processor/testdata"
    let dump = try Data(contentsOf: URL(fileURLWithPath: "\(testdata)/minidump2.dmp"))
    try ArchiveFixture.write(
      [.file("upload/minidump2.dmp", [UInt8](dump))], format: .zip, to: dir.file("night/a.zip"))
    return testdata
  }

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

  /// What `symbol_lookups` says about a module of the only dump.
  static func answer(_ workspace: String, module: String) throws -> String? {
    let queue = try DatabaseQueue(path: "\(workspace)/crashsift.sqlite")
    return try queue.read { db in
      try String.fetchOne(
        db, sql: "SELECT answer FROM symbol_lookups WHERE module = ?", arguments: [module])
    }
  }

  @Test(
    "a dump without symbols is deferred with module+offset; adding the .sym lets the next run name it",
    .requires(.corpus))
  func deferredThenDone() throws {
    let dir = TemporaryDirectory()
    let testdata = try Self.minidump2Night(dir)
    let symbols = dir.file("symbols")
    let (arguments, workspace) = try Self.setUp(dir, symbolPath: "\(symbols)")

    #expect(try CrashsiftBinary.run(arguments).status == 0)
    var (row, status) = try Self.frame(workspace)
    #expect(status == "deferred")
    #expect(row?["module"] == "test_app.exe")
    #expect(row?["module_offset"] == 0x429E)
    #expect(row?["function"] as String? == nil)
    // The frame names the lookup; where it was looked for is said once per module.
    #expect(
      row?["missing"] as String?
        == "no symbols found for pdb:test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1")
    #expect(
      try Self.answer(workspace, module: "test_app.exe")?.contains(
        "no test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1") == true)

    let key = "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1"
    try FileManager.default.createDirectory(
      atPath: "\(symbols)/\(key)", withIntermediateDirectories: true)
    try FileManager.default.copyItem(
      atPath: "\(testdata)/symbols/\(key)/test_app.sym", toPath: "\(symbols)/\(key)/test_app.sym")
    // No flag needed: the lookup the dump waits for now finds the .sym, so the run redoes it.
    let again = try CrashsiftBinary.run(arguments)
    #expect(again.status == 0, "\(again.stderr)")
    (row, status) = try Self.frame(workspace)
    #expect(status == "done")
    #expect(row?["function"] == "`anonymous namespace'::CrashFunction")
    #expect(row?["function_offset"] == 0xE)
    #expect(row?["file"] == "c:\\test_app.cc")
    #expect(row?["line"] == 58)
    #expect(row?["missing"] as String? == nil)
  }

  @Test(
    "symbolize.all_threads walks the other threads too, and switching it redoes the stage",
    .requires(.corpus))
  func allThreads() throws {
    let dir = TemporaryDirectory()
    let testdata = try Self.minidump2Night(dir)
    var (arguments, workspace) = try Self.setUp(dir, symbolPath: "\(testdata)/symbols")
    #expect(try CrashsiftBinary.run(arguments).status == 0)
    let queue = try DatabaseQueue(path: "\(workspace)/crashsift.sqlite")
    func counts() throws -> (Int, Int, [Int64]) {
      try queue.read { db in
        (
          try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM symbolized_frames") ?? -1,
          try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM thread_frames") ?? -1,
          try Int64.fetchAll(db, sql: "SELECT DISTINCT thread_id FROM thread_frames")
        )
      }
    }
    var (crashing, others, threads) = try counts()
    #expect(crashing == 4)
    #expect(others == 0)
    let pipeline = dir.file("pipeline.json")
    _ = FileManager.default.createFile(
      atPath: pipeline,
      contents: Data(#"{"version": 1, "symbolize": {"all_threads": true}}"#.utf8))
    arguments += ["--pipeline", pipeline]
    #expect(try CrashsiftBinary.run(arguments).status == 0)
    (crashing, others, threads) = try counts()
    #expect(crashing == 4)
    // minidump2 has one other thread, breakpad's handler (0x11c0).
    #expect(threads == [0x11C0])
    #expect(others > 0)
    let bad = dir.file("bad.json")
    _ = FileManager.default.createFile(
      atPath: bad, contents: Data(#"{"version": 1, "symbolize": {"all_threads": "yes"}}"#.utf8))
    let refused = try CrashsiftBinary.run(Array(arguments.dropLast(2)) + ["--pipeline", bad])
    #expect(refused.status == 2)
    #expect(refused.stderr.contains("symbolize.all_threads"))
  }

  @Test(
    "a kernel FAULTING_IP is named through the driver image fetched by timestamp+size, then its PDB",
    .requires(.corpus))
  func kernelDriver() throws {
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    try DriverCrashDump.write(to: dir.file("night/MEMORY.DMP"))
    let store = dir.file("store")
    let (arguments, workspace) = try Self.setUp(dir, symbolPath: "srv*\(store)")

    #expect(try CrashsiftBinary.run(arguments).status == 0)
    var (row, status) = try Self.frame(workspace)
    #expect(status == "deferred")
    #expect(row?["module"] == "tiny64.dll")
    #expect(row?["module_offset"] == 0x1040)
    #expect(row?["missing"] as String? == "no symbols found for image:tiny64.dll/3FDF2AA85000")
    #expect(
      try Self.answer(workspace, module: "tiny64.dll")?.contains(
        "no image tiny64.dll/3FDF2AA85000") == true)

    // The build's outputs go into the store; the next plain run names the frame.
    let out = "\(root)/pdb/generated-lld/out"
    let index = try CrashsiftBinary.run([
      "symbols", "index", "\(out)/tiny64.dll", "\(out)/tiny64.pdb", "--store", store,
    ])
    #expect(index.status == 0, "\(index.stderr)")
    #expect(try CrashsiftBinary.run(arguments).status == 0)
    (row, status) = try Self.frame(workspace)
    #expect(status == "done", "\(row?["missing"] as String? ?? "")")
    #expect(row?["function"] == "exported_entry")
    #expect(row?["function_offset"] == 0xB)
    #expect(row?["file"] == "C:\\src\\tiny.c")
    #expect(row?["line"] == 27)
    #expect(row?["inlines"] == #"["inlined_twice [C:\\src\\tiny.c : 22]"]"#)

    // analyze names it the same way, WinDbg style.
    let analyze = try CrashsiftBinary.run([
      "analyze", "--symbols", "srv*\(store)", dir.file("night/MEMORY.DMP"),
    ])
    #expect(analyze.status == 0)
    #expect(
      analyze.stdout.contains(
        "FAULTING_IP: tiny64!exported_entry+0xb [C:\\src\\tiny.c : 27]  (tiny64.dll+0x1040"),
      "\(analyze.stdout)")
    let bare = try CrashsiftBinary.run([
      "analyze", "--symbols", dir.file("symbols"), dir.file("night/MEMORY.DMP"),
    ])
    #expect(bare.stdout.contains("(no symbols: symbols: no image tiny64.dll/3FDF2AA85000"))
  }

  @Test(
    "deferred dumps are redone only when the lookup they wait for finds a table",
    .requires(.corpus))
  func deferredWaitsForItsLookup() throws {
    let root = try Requirement.corpus.resolve()
    let dir = TemporaryDirectory()
    // Three dumps crash in tiny64.dll (its image and PDB can be indexed later), two in a driver
    // no store will ever have; the variant makes each dump's bytes distinct.
    for (index, gone) in [false, false, false, true, true].enumerated() {
      try DriverCrashDump.write(
        to: dir.file("night/dump\(index).dmp"), driver: gone ? "gone.sys" : "tiny64.dll",
        timeDateStamp: gone ? 0x5E00_0001 : 0x3FDF_2AA8, variant: UInt64(index))
    }
    let store = dir.file("store")
    var (arguments, workspace) = try Self.setUp(dir, symbolPath: "srv*\(store)")
    arguments = arguments.filter { $0 != "--quiet" } + ["--json"]
    /// The symbolize stage's summary of one run.
    func symbolize() throws -> [String: Any] {
      let run = try CrashsiftBinary.run(arguments)
      #expect(run.status == 0, "\(run.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
      let stages = object?["stages"] as? [[String: Any]] ?? []
      return stages.first { $0["name"] as? String == "symbolize" } ?? [:]
    }
    var summary = try symbolize()
    let queue = try DatabaseQueue(path: "\(workspace)/crashsift.sqlite")
    func statuses() throws -> [String: Int] {
      try queue.read { db in
        var counts: [String: Int] = [:]
        for row in try Row.fetchAll(
          db,
          sql: """
            SELECT l.module, s.status FROM stage_state s
            JOIN symbol_lookups l ON l.dump_sha256 = s.dump_sha256
            WHERE s.stage = 'symbolize'
            """)
        {
          counts["\(row[0] as String? ?? "?") \(row[1] as String)", default: 0] += 1
        }
        return counts
      }
    }

    #expect(summary["deferred"] as? Int == 5)
    #expect(try statuses() == ["tiny64.dll deferred": 3, "gone.sys deferred": 2])
    let waits = try queue.read { db in
      try String.fetchAll(
        db, sql: "SELECT DISTINCT lookup FROM symbol_lookups WHERE blocking = 1 ORDER BY lookup")
    }
    #expect(waits == ["image:gone.sys/5E0000015000", "image:tiny64.dll/3FDF2AA85000"])

    // Nothing changed: no deferred dump is walked again.
    summary = try symbolize()
    #expect(summary["processed"] as? Int == 0)
    #expect(summary["retried_deferred"] as? Int == 0)

    // tiny64's image and PDB arrive: exactly its three dumps are redone.
    let out = "\(root)/pdb/generated-lld/out"
    let index = try CrashsiftBinary.run([
      "symbols", "index", "\(out)/tiny64.dll", "\(out)/tiny64.pdb", "--store", store,
    ])
    #expect(index.status == 0, "\(index.stderr)")
    summary = try symbolize()
    #expect(summary["retried_deferred"] as? Int == 3)
    #expect(summary["processed"] as? Int == 3)
    #expect(summary["done"] as? Int == 3)
    #expect(try statuses() == ["tiny64.dll done": 3, "gone.sys deferred": 2])
    let answer = try queue.read { db in
      try String.fetchOne(
        db, sql: "SELECT DISTINCT answer FROM symbol_lookups WHERE module = 'tiny64.dll'")
    }
    #expect(answer?.hasPrefix("\(store)/tiny64.pdb/") == true, "\(answer ?? "nil")")
    #expect(answer?.contains("through the image \(store)/tiny64.dll/3FDF2AA85000/") == true)

    // --retry-deferred still redoes every deferred dump.
    arguments.append("--retry-deferred")
    summary = try symbolize()
    #expect(summary["processed"] as? Int == 2)
    #expect(summary["deferred"] as? Int == 2)
  }
}
